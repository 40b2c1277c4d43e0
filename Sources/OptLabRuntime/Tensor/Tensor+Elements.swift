/// Reading and writing single elements, and copying out to Swift arrays.
extension Tensor {
    /// Element `i` of the flat row-major buffer, as a Double. Internal: the
    /// index is the caller's responsibility.
    @inline(__always)
    func element(_ i: Int) -> Double {
        switch dtype {
        case .f32: return Double(ptr(Float.self)[i])
        case .f64: return ptr(Double.self)[i]
        case .i32: return Double(ptr(Int32.self)[i])
        }
    }

    /// Writes element `i`; i32 values are clamped into range and truncated.
    @inline(__always)
    func setElement(_ i: Int, _ v: Double) {
        switch dtype {
        case .f32: ptr(Float.self)[i] = Float(v)
        case .f64: ptr(Double.self)[i] = v
        case .i32: ptr(Int32.self)[i] = Tensor.int32(v)
        }
    }

    /// Saturating conversion: NaN becomes 0, out-of-range values the nearest bound.
    static func int32(_ v: Double) -> Int32 {
        if v.isNaN { return 0 }
        if v >= Double(Int32.max) { return .max }
        if v <= Double(Int32.min) { return .min }
        return Int32(v)
    }

    func fill(_ v: Double) {
        switch dtype {
        case .f32: ptr(Float.self).update(repeating: Float(v), count: count)
        case .f64: ptr(Double.self).update(repeating: v, count: count)
        case .i32: ptr(Int32.self).update(repeating: Tensor.int32(v), count: count)
        }
    }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        guard count == 1 else {
            throw RuntimeError(.shape, "item", "expected a tensor with one element, got shape \(describe(shape))")
        }
        return element(0)
    }

    /// All elements, row-major, as Doubles.
    public func toDoubles() -> [Double] {
        (0..<count).map { element($0) }
    }

    public func toFloats() -> [Float] {
        (0..<count).map { Float(element($0)) }
    }

    public func toInt32s() -> [Int32] {
        (0..<count).map { Tensor.int32(element($0)) }
    }

    /// The element at a multi-index (0-based), bounds checked.
    public func value(at index: [Int]) throws -> Double {
        try element(flatIndex(index, op: "value"))
    }

    /// Sets the element at a multi-index (0-based), bounds checked. In place.
    public func setValue(_ v: Double, at index: [Int]) throws {
        setElement(try flatIndex(index, op: "set"), v)
        bumpVersion()
    }

    func flatIndex(_ index: [Int], op: String) throws -> Int {
        guard index.count == rank else {
            throw RuntimeError(.shape, op, "expected \(rank) indices for shape \(describe(shape)), got \(index.count)")
        }
        var flat = 0
        for (d, i) in index.enumerated() {
            guard i >= 0, i < shape[d] else {
                throw RuntimeError(.argument, op, "index \(i) is out of range for dimension \(d) of size \(shape[d])")
            }
            flat = flat * shape[d] + i
        }
        return flat
    }

    /// A new tensor with the same values, its own storage, and no graph.
    public func clone() throws -> Tensor {
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        t.raw.copyMemory(from: raw, byteCount: byteCount)
        return t
    }

    /// Copies `src`'s values into this tensor, in place (Torch7's `copy`);
    /// shapes must match, dtypes are converted.
    public func copy(from src: Tensor) throws {
        guard src.shape == shape else {
            throw RuntimeError(.shape, "copy", "source shape \(describe(src.shape)) does not match \(describe(shape))")
        }
        if src.dtype == dtype {
            raw.copyMemory(from: src.raw, byteCount: byteCount)
        } else {
            for i in 0..<count { setElement(i, src.element(i)) }
        }
        bumpVersion()
    }
}

extension Tensor {
    /// How many elements are NaN or infinite, and the first's flat index and
    /// value; nil when every element is finite (or the tensor holds integers).
    public func firstNonFinite() -> (count: Int, index: Int, value: Double)? {
        guard dtype.isFloatingPoint else { return nil }
        var found = 0, first = -1, value = 0.0
        readingDoubles { at in
            for i in 0..<count where !at(i).isFinite {
                if found == 0 { first = i; value = at(i) }
                found += 1
            }
        }
        return found == 0 ? nil : (found, first, value)
    }

    /// The flat index of the first element that is not zero, or nil.
    public func firstNonZero() -> Int? {
        var at: Int?
        readingDoubles { v in
            for i in 0..<count where v(i) != 0 { at = i; return }
        }
        return at
    }
}
