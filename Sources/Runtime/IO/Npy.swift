import Foundation

/// numpy's `.npy` format: magic `\x93NUMPY`, a version, a header length
/// (2 bytes in version 1, 4 in versions 2 and 3), a Python-literal dict
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, then the data.
///
/// Reads f32, f64, i32, i64 and u8 (either byte order, C or Fortran order);
/// writes f32, f64 and i32 as they are, or i64 and u8 on request.
public enum Npy {
    public enum ElementType: String, Sendable { case f32, f64, i32, i64, u8 }

    public static func load(_ path: String) throws -> Tensor {
        try decode(AtomicFile.read(path, op: "npy.load"), source: path)
    }

    public static func save(_ t: Tensor, to path: String, as type: ElementType? = nil) throws {
        try AtomicFile.write(encode(t, as: type), to: path, op: "npy.save")
    }

    static func fileType(_ e: ElementType) -> ByteCodec.FileType {
        switch e {
        case .f32: return .f32
        case .f64: return .f64
        case .i32: return .i32
        case .i64: return .i64
        case .u8: return .u8
        }
    }

    public static func encode(_ t: Tensor, as type: ElementType? = nil) throws -> [UInt8] {
        let ft = type.map(fileType) ?? ByteCodec.FileType(t.dtype)
        let descr: String
        switch ft {
        case .f32: descr = "<f4"
        case .f64: descr = "<f8"
        case .i32: descr = "<i4"
        case .i64: descr = "<i8"
        case .u8: descr = "|u1"
        }
        let dims = t.shape.map(String.init).joined(separator: ", ") + (t.rank == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        // Pad with spaces so the data starts on a 64-byte boundary; end with a newline.
        let v1 = header.utf8.count + 11 < 65536
        let prefix = v1 ? 10 : 12
        let total = prefix + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [v1 ? 1 : 2, 0]
        let hl = header.utf8.count
        if v1 {
            out += [UInt8(hl & 0xff), UInt8(hl >> 8)]
        } else {
            out += [UInt8(hl & 0xff), UInt8((hl >> 8) & 0xff), UInt8((hl >> 16) & 0xff), UInt8(hl >> 24)]
        }
        out += Array(header.utf8)
        out.reserveCapacity(out.count + t.count * ft.size)
        try ByteCodec.encode(t, as: ft, into: &out, op: "npy.save")
        return out
    }

    public static func decode(_ bytes: [UInt8], source: String = "data") throws -> Tensor {
        let op = "npy.load"
        func bad(_ why: String) -> RuntimeError { RuntimeError(.format, op, "\(source): \(why)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw bad("not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw bad("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw bad("unsupported format version \(major)")
        }
        guard headerLength <= bytes.count - start else { throw bad("header claims \(headerLength) bytes, file has \(bytes.count - start)") }
        guard let header = String(bytes: bytes[start..<start + headerLength], encoding: major == 3 ? .utf8 : .ascii) else {
            throw bad("header is not text")
        }
        let fields = try parseHeader(header, bad)
        let dataStart = start + headerLength
        let n = try Tensor.validate(fields.shape, op: op)
        let (need, overflow) = n.multipliedReportingOverflow(by: fields.type.size)
        guard !overflow, need <= bytes.count - dataStart else {
            throw bad("shape \(describe(fields.shape)) needs \(n) elements of \(fields.type.size) bytes, but only \(bytes.count - dataStart) bytes follow the header")
        }
        if fields.fortran {
            // Fortran order is the C-order array of the reversed shape, transposed.
            let rev = Array(fields.shape.reversed())
            let t = try ByteCodec.decode(bytes, offset: dataStart, count: n, type: fields.type, bigEndian: fields.bigEndian, shape: rev, op: op)
            return try t.permute(Array((0..<rev.count).reversed())).detach()
        }
        return try ByteCodec.decode(bytes, offset: dataStart, count: n, type: fields.type, bigEndian: fields.bigEndian, shape: fields.shape, op: op)
    }

    private struct Header {
        var type: ByteCodec.FileType
        var bigEndian: Bool
        var fortran: Bool
        var shape: [Int]
    }

    /// Reads the three keys out of the Python dict literal. Tolerant of
    /// spacing and key order; strict about values.
    private static func parseHeader(_ h: String, _ bad: (String) -> RuntimeError) throws -> Header {
        func value(of key: String) throws -> Substring {
            guard let k = h.range(of: "'\(key)'") ?? h.range(of: "\"\(key)\""),
                  let colon = h[k.upperBound...].firstIndex(of: ":") else {
                throw bad("header has no '\(key)'")
            }
            return h[h.index(after: colon)...].drop(while: { $0 == " " })
        }
        let d = try value(of: "descr")
        guard let q = d.first, q == "'" || q == "\"", let end = d.dropFirst().firstIndex(of: q) else {
            throw bad("cannot read 'descr'")
        }
        let descr = String(d[d.index(after: d.startIndex)..<end])
        let bigEndian = descr.hasPrefix(">")
        let code = descr.drop(while: { "<>|=".contains($0) })
        let type: ByteCodec.FileType
        switch code {
        case "f4": type = .f32
        case "f8": type = .f64
        case "i4": type = .i32
        case "i8": type = .i64
        case "u1": type = .u8
        default: throw bad("unsupported dtype '\(descr)' (supported: f4, f8, i4, i8, u1)")
        }
        let f = try value(of: "fortran_order")
        let fortran: Bool
        if f.hasPrefix("True") { fortran = true } else if f.hasPrefix("False") { fortran = false } else {
            throw bad("cannot read 'fortran_order'")
        }
        let s = try value(of: "shape")
        guard s.first == "(", let close = s.firstIndex(of: ")") else { throw bad("cannot read 'shape'") }
        let inner = s[s.index(after: s.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let v = Int(trimmed.hasSuffix("L") ? String(trimmed.dropLast()) : trimmed), v >= 0 else {
                throw bad("shape entry '\(trimmed)' is not a size")
            }
            shape.append(v)
        }
        return Header(type: type, bigEndian: bigEndian, fortran: fortran, shape: shape)
    }
}
