import Glibc

/// An element type a tensor's memory can be read and written as directly:
/// `Float` (f32), `Double` (f64), `Int32` (i32).
public protocol TensorElement: Sendable {
    static var tensorDType: DType { get }
}

extension Float: TensorElement { public static var tensorDType: DType { .f32 } }
extension Double: TensorElement { public static var tensorDType: DType { .f64 } }
extension Int32: TensorElement { public static var tensorDType: DType { .i32 } }

/// A host's data in and out of tensors in one copy (memcpy), never element
/// by element: images from its own decoder, a simulator's state.
///
/// ```swift
/// let x = try Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6] as [Float])
/// try x.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 10 }
/// let back = [Float](x)
/// ```
extension Tensor {
    /// A tensor of `shape` holding a copy of `buffer` (row-major), of its element's dtype.
    public convenience init<T: TensorElement>(shape: [Int], copying buffer: UnsafeBufferPointer<T>) throws {
        let n = try Tensor.validate(shape, op: "Tensor(shape:copying:)")
        guard n == buffer.count else {
            throw RuntimeError(.shape, "Tensor(shape:copying:)", "shape \(describe(shape)) holds \(n) elements, the buffer has \(buffer.count)")
        }
        try self.init(uninitialized: shape, dtype: T.tensorDType)
        if let base = buffer.baseAddress, n > 0 { memcpy(raw, base, n * MemoryLayout<T>.stride) }
    }

    /// A tensor of `shape` holding a copy of `values`.
    public convenience init<T: TensorElement>(shape: [Int], _ values: [T]) throws {
        let n = try Tensor.validate(shape, op: "Tensor(shape:_:)")
        guard n == values.count else {
            throw RuntimeError(.shape, "Tensor(shape:_:)", "shape \(describe(shape)) holds \(n) elements, the array has \(values.count)")
        }
        try self.init(uninitialized: shape, dtype: T.tensorDType)
        values.withUnsafeBytes { if n > 0 { memcpy(raw, $0.baseAddress!, $0.count) } }
    }

    /// Calls `body` with the tensor's elements, contiguous and row-major.
    /// `T` must be the tensor's element type (`Float` for f32): no conversion
    /// happens here. The buffer is valid only inside `body`.
    public func withUnsafeBufferPointer<T: TensorElement, R>(as type: T.Type = T.self,
                                                             _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        try checkElement(T.self, "withUnsafeBufferPointer")
        return try body(UnsafeBufferPointer(start: ptr(T.self), count: count))
    }

    /// Calls `body` with the tensor's elements to change in place. Counts as
    /// an in-place change: a graph that saved this tensor refuses to run
    /// backward through the old values, as after any in-place op.
    public func withUnsafeMutableBufferPointer<T: TensorElement, R>(as type: T.Type = T.self,
                                                                    _ body: (UnsafeMutableBufferPointer<T>) throws -> R) throws -> R {
        try checkElement(T.self, "withUnsafeMutableBufferPointer")
        defer { bumpVersion() }
        return try body(UnsafeMutableBufferPointer(start: ptr(T.self), count: count))
    }

    private func checkElement<T: TensorElement>(_: T.Type, _ op: String) throws {
        guard T.tensorDType == dtype else {
            throw RuntimeError(.dtype, op, "the tensor is \(dtype.rawValue), read as \(T.self) (\(T.tensorDType.rawValue)); convert it with to(.\(T.tensorDType.rawValue)) first")
        }
    }
}

extension Array where Element: TensorElement {
    /// The tensor's elements in row-major order, converted to `Element`
    /// when the dtypes differ (i32 from floats truncates toward zero), in
    /// one copy when they are the same. Throws only when the memory for a
    /// conversion cannot be had.
    public init(_ tensor: Tensor) throws {
        let converted = tensor.dtype == Element.tensorDType ? tensor : try tensor.to(Element.tensorDType)
        self = [Element](unsafeUninitializedCapacity: converted.count) { out, n in
            if converted.count > 0 { memcpy(out.baseAddress!, converted.raw, converted.byteCount) }
            n = converted.count
        }
    }
}
