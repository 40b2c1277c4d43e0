/// The IDX format of MNIST and Fashion-MNIST: a magic number
/// (0x00 0x00 type dims), big-endian sizes, then the data; files may be gzipped.
public enum IDX {
    /// Reads an IDX file of unsigned bytes into an f32 tensor (values 0…255)
    /// or, for labels, an i32 tensor.
    /// `divisor` divides image values as they are converted (255 gives [0, 1],
    /// the same floats as dividing afterwards, without a second full-size tensor).
    public static func load(_ path: String, asLabels: Bool = false, divisor: Float = 1) throws -> Tensor {
        var bytes = try AtomicFile.read(path, op: "idx")
        if Gzip.isGzip(bytes) {
            // The header first: what it claims must be what the gzip trailer says,
            // and inflation stops at that size (a small bomb cannot allocate gigabytes).
            let head = try Gzip.inflate(bytes, prefix: 4 + 4 * 4, source: path)
            let expected = try claimedBytes(head, source: path)
            if let said = Gzip.claimedSize(bytes), said != expected & 0xffff_ffff {
                throw RuntimeError(.format, "idx", "\(path): the IDX header claims \(expected) bytes, the gzip trailer says \(said)")
            }
            bytes = try Gzip.inflate(bytes, limit: expected, source: path)
        }
        return try decode(bytes, source: path, asLabels: asLabels, divisor: divisor)
    }

    /// The total size an IDX header (the first bytes of a file) claims.
    static func claimedBytes(_ head: [UInt8], source: String) throws -> Int {
        guard head.count >= 4, head[0] == 0, head[1] == 0 else { throw RuntimeError(.format, "idx", "\(source): not an IDX file (bad magic)") }
        let dims = Int(head[3])
        guard dims >= 1, dims <= 4, head.count >= 4 + 4 * dims else {
            throw RuntimeError(.format, "idx", "\(source): bad dimension count \(dims) or truncated header")
        }
        let shape = (0..<dims).map { d -> Int in
            let o = 4 + 4 * d
            return Int(head[o]) << 24 | Int(head[o + 1]) << 16 | Int(head[o + 2]) << 8 | Int(head[o + 3])
        }
        return 4 + 4 * dims + (try Tensor.validate(shape, op: "idx"))
    }

    public static func decode(_ bytes: [UInt8], source: String, asLabels: Bool, divisor: Float = 1) throws -> Tensor {
        func bad(_ why: String) -> RuntimeError { RuntimeError(.format, "idx", "\(source): \(why)") }
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else { throw bad("not an IDX file (bad magic)") }
        guard bytes[2] == 0x08 else { throw bad("element type 0x\(String(bytes[2], radix: 16)) is not supported (only unsigned bytes, 0x08)") }
        let dims = Int(bytes[3])
        guard dims >= 1, dims <= 4, bytes.count >= 4 + 4 * dims else { throw bad("bad dimension count \(dims) or truncated header") }
        var shape: [Int] = []
        for d in 0..<dims {
            let o = 4 + 4 * d
            shape.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        guard !shape.contains(0) else { throw bad("dimension \((shape.firstIndex(of: 0) ?? 0) + 1) of \(describe(shape)) is zero") }
        let n = try Tensor.validate(shape, op: "idx")
        let start = 4 + 4 * dims
        guard bytes.count - start == n else {
            throw bad("header promises \(n) values of shape \(describe(shape)), file has \(bytes.count - start)"
                      + (bytes.count - start > n ? " (trailing bytes)" : ""))
        }
        let t = try Tensor(uninitialized: shape, dtype: asLabels ? .i32 : .f32)
        bytes.withUnsafeBufferPointer { buf in
            if asLabels {
                let p = t.ptr(Int32.self)
                for i in 0..<n { p[i] = Int32(buf[start + i]) }
            } else {
                let p = t.ptr(Float.self)
                for i in 0..<n { p[i] = Float(buf[start + i]) / divisor }
            }
        }
        return t
    }

    /// An image file and its label file as a dataset (images scaled to [0, 1]).
    public static func dataset(images: String, labels: String, classes: Int? = nil) throws -> Dataset {
        let x = try load(images, divisor: 255)
        let y = try load(labels, asLabels: true)
        guard y.rank == 1 else { throw RuntimeError(.format, "idx", "\(labels): labels must be 1-d, got \(describe(y.shape))") }
        guard x.shape.first == y.count else {
            throw RuntimeError(.format, "idx", "\(images) has \(x.shape.first ?? 0) images but \(labels) has \(y.count) labels")
        }
        return try Dataset(inputs: x, labels: y, classes: classes)
    }
}
