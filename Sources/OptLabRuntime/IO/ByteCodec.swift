/// Little-endian element encoding shared by the .npy and safetensors codecs.
enum ByteCodec {
    /// Element types on disk. Loading maps them onto the runtime's dtypes:
    /// i64 and u8 become i32 (i64 values must fit).
    enum FileType: Equatable {
        case f32, f64, i32, i64, u8

        var size: Int {
            switch self {
            case .f32, .i32: return 4
            case .f64, .i64: return 8
            case .u8: return 1
            }
        }

        var dtype: DType {
            switch self {
            case .f32: return .f32
            case .f64: return .f64
            default: return .i32
            }
        }

        init(_ d: DType) {
            switch d {
            case .f32: self = .f32
            case .f64: self = .f64
            case .i32: self = .i32
            }
        }
    }

    /// Decodes `count` elements from `bytes[offset...]` into a new tensor.
    static func decode(_ bytes: [UInt8], offset: Int, count: Int, type: FileType, bigEndian: Bool,
                       shape: [Int], op: String) throws -> Tensor {
        let t = try Tensor(uninitialized: shape, dtype: type.dtype)
        try bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + offset
            func u32(_ i: Int) -> UInt32 {
                let v = base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                return bigEndian ? v.byteSwapped : v
            }
            func u64(_ i: Int) -> UInt64 {
                let v = base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                return bigEndian ? v.byteSwapped : v
            }
            switch type {
            case .f32:
                let p = t.ptr(Float.self)
                if bigEndian { for i in 0..<count { p[i] = Float(bitPattern: u32(i)) } }
                else { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: count * 4) }
            case .f64:
                let p = t.ptr(Double.self)
                if bigEndian { for i in 0..<count { p[i] = Double(bitPattern: u64(i)) } }
                else { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: count * 8) }
            case .i32:
                let p = t.ptr(Int32.self)
                for i in 0..<count { p[i] = Int32(bitPattern: u32(i)) }
            case .i64:
                let p = t.ptr(Int32.self)
                for i in 0..<count {
                    let v = Int64(bitPattern: u64(i))
                    guard let n = Int32(exactly: v) else {
                        throw RuntimeError(.format, op, "i64 value \(v) at element \(i) does not fit in i32")
                    }
                    p[i] = n
                }
            case .u8:
                let p = t.ptr(Int32.self)
                for i in 0..<count { p[i] = Int32(base.load(fromByteOffset: i, as: UInt8.self)) }
            }
        }
        return t
    }

    /// Appends the tensor's elements, little-endian, converted to `type`.
    static func encode(_ t: Tensor, as type: FileType, into out: inout [UInt8], op: String) throws {
        let n = t.count
        if type == FileType(t.dtype) {  // the file type is the tensor's own: copy the bytes
            out.append(contentsOf: UnsafeRawBufferPointer(start: t.raw, count: t.byteCount))
            return
        }
        switch type {
        case .f32:
            try encode(t.to(.f32), as: .f32, into: &out, op: op)
        case .f64:
            try encode(t.to(.f64), as: .f64, into: &out, op: op)
        case .i32, .i64, .u8:
            for i in 0..<n {
                let v = t.element(i)
                guard v.rounded() == v, v.isFinite else {
                    throw RuntimeError(.argument, op, "element \(i) (\(v)) is not an integer")
                }
                switch type {
                case .u8:
                    guard v >= 0, v <= 255 else { throw RuntimeError(.argument, op, "element \(i) (\(v)) does not fit in u8") }
                    out.append(UInt8(v))
                case .i64:
                    withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) }
                default:
                    withUnsafeBytes(of: Tensor.int32(v).littleEndian) { out.append(contentsOf: $0) }
                }
            }
        }
    }
}
