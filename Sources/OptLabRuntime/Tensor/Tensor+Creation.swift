/// Making tensors: filled, ranged, from Swift arrays, and random.
extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .f32) throws -> Tensor {
        let n = try validate(shape, op: "full")
        if dtype == .i32 {
            guard value.isFinite, value.rounded() == value, Swift.abs(value) <= Double(Int32.max) else {
                throw RuntimeError(.argument, "full", "\(value) is not an i32 value")
            }
        }
        let t = Tensor(shape: shape, dtype: dtype, storage: try Storage(count: n, dtype: dtype))
        t.fill(value)
        return t
    }

    public static func zeros(_ shape: [Int], dtype: DType = .f32) throws -> Tensor {
        try full(shape, 0, dtype: dtype)
    }

    public static func ones(_ shape: [Int], dtype: DType = .f32) throws -> Tensor {
        try full(shape, 1, dtype: dtype)
    }

    /// A 0-d tensor holding one value.
    public static func scalar(_ value: Double, dtype: DType = .f32) -> Tensor {
        let t = Tensor(shape: [], dtype: dtype, storage: Storage(scalarOf: dtype))
        t.fill(value)
        return t
    }

    public static func zeros(like t: Tensor) throws -> Tensor {
        let z = try Tensor(uninitialized: t.shape, dtype: t.dtype)
        z.fill(0)
        return z
    }

    /// `start, start+step, …` up to but not including `end`, as numpy's arange.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .f32) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw RuntimeError(.argument, "arange", "start, end and step must be finite and step non-zero (got \(start), \(end), \(step))")
        }
        let span = ((end - start) / step).rounded(.up)
        let n = span.isFinite && span > 0 ? Int(Swift.min(span, 1e12)) : 0  // never converts an out-of-range Double
        let t = try Tensor(uninitialized: [try validateCount(n, op: "arange")], dtype: dtype)
        for i in 0..<n { t.setElement(i, start + Double(i) * step) }
        return t
    }

    /// The n×n identity (n×m when `columns` is given).
    public static func eye(_ n: Int, columns: Int? = nil, dtype: DType = .f32) throws -> Tensor {
        let m = columns ?? n
        let t = try zeros([n, m], dtype: dtype)
        for i in 0..<Swift.min(n, m) { t.setElement(i * m + i, 1) }
        return t
    }

    /// A tensor holding `values` in row-major order.
    public convenience init<T: FloatElement>(_ values: [T], shape: [Int]? = nil) throws {
        let shape = shape ?? [values.count]
        try Tensor.checkCount(values.count, shape, op: "tensor")
        try self.init(uninitialized: shape, dtype: T.dtype)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { ptr(T.self).update(from: base, count: values.count) }
        }
    }

    /// An i32 tensor, for labels and indices.
    public convenience init(int32 values: [Int32], shape: [Int]? = nil) throws {
        let shape = shape ?? [values.count]
        try Tensor.checkCount(values.count, shape, op: "tensor")
        try self.init(uninitialized: shape, dtype: .i32)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { ptr(Int32.self).update(from: base, count: values.count) }
        }
    }

    /// A tensor of any dtype from `Double` values (converted; i32 truncates toward zero).
    public static func from(_ values: [Double], shape: [Int]? = nil, dtype: DType = .f32) throws -> Tensor {
        let shape = shape ?? [values.count]
        try checkCount(values.count, shape, op: "tensor")
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        if dtype == .i32 {
            for v in values where !(v.isFinite && Swift.abs(v) <= Double(Int32.max)) {
                throw RuntimeError(.argument, "tensor", "\(v) is not representable as i32")
            }
        }
        for (i, v) in values.enumerated() { t.setElement(i, v) }
        return t
    }

    /// Uniform in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .f32, generator: Generator = .default) throws -> Tensor {
        let n = try validate(shape, op: "rand")
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        switch dtype {
        case .f32:
            let p = t.ptr(Float.self)
            for i in 0..<n { p[i] = generator.uniformFloat() }
        case .f64:
            let p = t.ptr(Double.self)
            for i in 0..<n { p[i] = generator.uniform() }
        case .i32:
            throw RuntimeError(.dtype, "rand", "expected f32 or f64, got i32")
        }
        return t
    }

    /// Standard normal values, times `std`, plus `mean`.
    public static func randn(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .f32,
                             generator: Generator = .default) throws -> Tensor {
        let n = try validate(shape, op: "randn")
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        switch dtype {
        case .f32:
            let p = t.ptr(Float.self)
            for i in 0..<n { p[i] = Float(mean + std * generator.normal()) }
        case .f64:
            let p = t.ptr(Double.self)
            for i in 0..<n { p[i] = mean + std * generator.normal() }
        case .i32:
            throw RuntimeError(.dtype, "randn", "expected f32 or f64, got i32")
        }
        return t
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: [Int], p: Double, dtype: DType = .f32, generator: Generator = .default) throws -> Tensor {
        guard p >= 0, p <= 1 else {
            throw RuntimeError(.argument, "bernoulli", "probability must be in [0, 1] (got \(p))")
        }
        let n = try validate(shape, op: "bernoulli")
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        for i in 0..<n { t.setElement(i, generator.uniform() < p ? 1 : 0) }
        return t
    }

    static func checkCount(_ count: Int, _ shape: [Int], op: String) throws {
        let n = try validate(shape, op: op)
        guard n == count else {
            throw RuntimeError(.shape, op, "\(count) values do not fill shape \(describe(shape)) (\(n) elements)")
        }
    }

    static func validateCount(_ n: Int, op: String) throws -> Int {
        _ = try validate([n], op: op)
        return n
    }
}
