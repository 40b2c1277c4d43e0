import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON
/// header `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
/// "__metadata__": {"key": "value"}}`, then the raw little-endian tensors.
///
/// Loading runs no code from the file and trusts nothing in it: the header
/// length, every shape and every offset are checked against the file before
/// anything is allocated. Saving is atomic (see `AtomicFile`).
public enum SafeTensors {
    /// A loaded file: tensors in file order, and the string metadata.
    public struct File {
        public var tensors: [(name: String, tensor: Tensor)]
        public var metadata: [String: String]

        public subscript(name: String) -> Tensor? {
            tensors.first { $0.name == name }?.tensor
        }
    }

    /// The safetensors reference limits the header to 100 MB; so do we.
    static let maxHeader = 100_000_000

    public static func save(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                            to path: String) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: path, op: "safetensors.save")
    }

    public static func load(_ path: String) throws -> File {
        try decode(AtomicFile.read(path, op: "safetensors.load"), source: path)
    }

    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
        let op = "safetensors.save"
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            guard name != "__metadata__", header[name] == nil else {
                throw RuntimeError(.argument, op, "tensor name '\(name)' is repeated or reserved")
            }
            header[name] = ["dtype": code(t.dtype), "shape": t.shape, "data_offsets": [offset, offset + t.byteCount]]
            offset += t.byteCount
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for (_, t) in tensors {
            try ByteCodec.encode(t, as: ByteCodec.FileType(t.dtype), into: &out, op: op)
        }
        return out
    }

    public static func decode(_ bytes: [UInt8], source: String = "data") throws -> File {
        let op = "safetensors.load"
        func bad(_ why: String) -> RuntimeError { RuntimeError(.format, op, "\(source): \(why)") }
        func notSafetensors(_ why: String) -> RuntimeError { RuntimeError(.format, op, "\(source) is not a safetensors file (\(why))") }
        guard bytes.count >= 8 else { throw notSafetensors("it has \(bytes.count) bytes, fewer than the 8 of a header length") }
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(maxHeader), Int(n) <= bytes.count - 8 else {
            throw notSafetensors("its first 8 bytes are not a header length: they give \(n), the file has \(bytes.count - 8) bytes after them")
        }
        // (JSON whitespace may come first, as the reference reader allows)
        let firstNonSpace = bytes[8..<(8 + Int(n))].first { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        guard n >= 2, firstNonSpace == UInt8(ascii: "{") else { throw notSafetensors("its header does not start with '{'") }
        let headerEnd = 8 + Int(n)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw bad("header is not valid JSON")
        }
        guard let header = parsed as? [String: Any] else { throw bad("header is not a JSON object") }
        // JSONSerialization keeps one of two equal keys silently: a tensor would vanish
        if let repeated = SafeTensors.repeatedTopLevelKey(bytes[8..<headerEnd]) { throw bad("the header names '\(repeated)' twice") }
        let buffer = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [(name: String, begin: Int, end: Int, type: ByteCodec.FileType, shape: [Int])] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw bad("metadata value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let e = value as? [String: Any], let dt = e["dtype"] as? String,
                  let shapeAny = e["shape"] as? [Any], let offs = e["data_offsets"] as? [Any], offs.count == 2 else {
                throw bad("entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let type = fileType(dt) else {
                throw bad("entry '\(name)' has unsupported dtype \(dt) (supported: F32, F64, I32, I64, U8)")
            }
            let shape = try shapeAny.map { v -> Int in
                guard let i = exactInt(v), i >= 0 else { throw bad("entry '\(name)' has a bad shape") }
                return i
            }
            guard let b = exactInt(offs[0]), let en = exactInt(offs[1]), b >= 0, b <= en, en <= buffer else {
                throw bad("entry '\(name)' has data_offsets outside the \(buffer)-byte data buffer")
            }
            let count = try Tensor.validate(shape, op: op)
            let (size, overflow) = count.multipliedReportingOverflow(by: type.size)
            guard !overflow, size == en - b else {
                throw bad("entry '\(name)': shape \(describe(shape)) of \(dt) needs \(count) × \(type.size) bytes, offsets give \(en - b)")
            }
            entries.append((name, b, en, type, shape))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        // As the reference reader: the tensors tile the data buffer, from 0 to its end, without overlaps or gaps.
        var expected = 0
        for e in entries {
            if e.begin < expected { throw bad("entry '\(e.name)' overlaps the one before it (data_offsets start at \(e.begin), before \(expected))") }
            if e.begin > expected { throw bad("there is a gap of \(e.begin - expected) bytes before entry '\(e.name)' (data_offsets start at \(e.begin), expected \(expected))") }
            expected = e.end
        }
        if expected != buffer { throw bad("\(buffer - expected) bytes follow the last tensor's data") }
        var tensors: [(name: String, tensor: Tensor)] = []
        for e in entries {
            let count = e.shape.reduce(1, *)
            tensors.append((e.name, try ByteCodec.decode(bytes, offset: headerEnd + e.begin, count: count, type: e.type,
                                                         bigEndian: false, shape: e.shape, op: op)))
        }
        return File(tensors: tensors, metadata: metadata)
    }

    /// The first key that a JSON object's top level holds twice, if any (a
    /// small scanner: strings skipped with their escapes, depth tracked).
    static func repeatedTopLevelKey(_ json: ArraySlice<UInt8>) -> String? {
        var seen = Set<String>()
        var depth = 0, i = json.startIndex
        var lastString: String?
        while i < json.endIndex {
            let c = json[i]
            if c == UInt8(ascii: "\"") {
                var j = i + 1, raw: [UInt8] = []
                while j < json.endIndex && json[j] != UInt8(ascii: "\"") {
                    if json[j] == UInt8(ascii: "\\") { raw.append(json[j]); j += 1 }
                    if j < json.endIndex { raw.append(json[j]) }
                    j += 1
                }
                lastString = String(decoding: raw, as: UTF8.self)
                i = j + 1
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ":"):
                if depth == 1, let key = lastString, !seen.insert(key).inserted { return key }
            default: break
            }
            if c != UInt8(ascii: " ") && c != UInt8(ascii: "\n") && c != UInt8(ascii: "\t") && c != UInt8(ascii: "\r") && c != UInt8(ascii: ":") {
                lastString = nil
            }
            i += 1
        }
        return nil
    }

    private static func exactInt(_ v: Any) -> Int? {
        guard let num = v as? NSNumber else { return nil }
        let d = num.doubleValue
        guard d.rounded() == d, Swift.abs(d) < 9e15 else { return nil }
        return num.intValue
    }

    private static func code(_ d: DType) -> String {
        switch d {
        case .f32: return "F32"
        case .f64: return "F64"
        case .i32: return "I32"
        }
    }

    private static func fileType(_ s: String) -> ByteCodec.FileType? {
        switch s {
        case "F32": return .f32
        case "F64": return .f64
        case "I32": return .i32
        case "I64": return .i64
        case "U8": return .u8
        default: return nil
        }
    }
}
