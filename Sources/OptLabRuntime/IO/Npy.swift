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
        let (major, minor) = (bytes[6], bytes[7])
        guard minor == 0, (1...3).contains(major) else { throw bad("unsupported format version \(major).\(minor) (numpy writes 1.0, 2.0 and 3.0)") }
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

    /// The header as numpy reads it: a Python dict literal with exactly the
    /// keys 'descr' (a dtype code), 'fortran_order' (True or False) and
    /// 'shape' (a tuple of sizes), each once, and nothing after it but padding.
    private static func parseHeader(_ h: String, _ bad: (String) -> RuntimeError) throws -> Header {
        let literal: PythonLiteral
        do { literal = try PythonLiteral.parse(h) } catch { throw bad("header is not a Python literal: \(error.message)") }
        guard case .dict(let entries) = literal else { throw bad("header is not a dict") }
        let keys = entries.map(\.key)
        guard keys.sorted() == ["descr", "fortran_order", "shape"] else {
            throw bad("header has the keys \(keys.map { "'\($0)'" }.joined(separator: ", ")); numpy's are exactly 'descr', 'fortran_order' and 'shape'")
        }
        let fields = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        guard case .string(let descr)? = fields["descr"] else { throw bad("'descr' is not a string") }
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
        guard case .bool(let fortran)? = fields["fortran_order"] else { throw bad("'fortran_order' is not True or False") }
        guard case .tuple(let dims)? = fields["shape"] else { throw bad("'shape' is not a tuple") }
        let shape = try dims.map { d -> Int in
            guard case .int(let v) = d else { throw bad("'shape' holds something that is not a size") }
            return v
        }
        return Header(type: type, bigEndian: bigEndian, fortran: fortran, shape: shape)
    }
}
