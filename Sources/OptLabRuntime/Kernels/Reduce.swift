/// Reduction loops over contiguous buffers.
import CKernels

/// Σ p[0..<n], eight lanes at a time; partial sums are flushed into a
/// Double every 256 elements (32 per lane), so that an f32 sum over millions
/// stays within a few ulps of the exact value.
@inline(__always)
func contiguousSum<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
    var total = 0.0
    var i = 0
    while i < n {
        let end = Swift.min(i + 256, n)
        var acc = SIMD8<T>()
        var j = i
        let raw = UnsafeRawPointer(p)
        while j + 8 <= end {
            acc += raw.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.stride, as: SIMD8<T>.self)
            j += 8
        }
        var s = acc.sum()
        while j < end { s += p[j]; j += 1 }
        total += Double(s)
        i = end
    }
    return total
}

/// Σ p[i]²: f32 by CKernels' sixteen lanes (the optimizer sums every
/// block it updates, and baseline Swift's eight SSE lanes were a quarter of
/// an SGD step); f64 eight lanes at a time, flushed into a Double every 256
/// elements.
@inline(__always)
func sumOfSquares<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
    if T.self == Float.self { return optlab_sum_squares_f32(UnsafeRawPointer(p).assumingMemoryBound(to: Float.self), n) }
    var total = 0.0
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i < n {
        let end = Swift.min(i + 256, n)
        var acc = SIMD8<T>()
        var j = i
        while j + 8 <= end {
            let v = raw.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.stride, as: SIMD8<T>.self)
            acc += v * v
            j += 8
        }
        var s = acc.sum()
        while j < end { s += p[j] * p[j]; j += 1 }
        total += Double(s)
        i = end
    }
    return total
}

/// A tensor seen as [outer, n, inner] around the reduced dimension `dim`.
struct ReductionLayout {
    let outer: Int, n: Int, inner: Int
    let outShape: [Int]

    init(_ shape: [Int], dim: Int, keepDim: Bool) {
        outer = shape[..<dim].reduce(1, *)
        n = shape[dim]
        inner = shape[(dim + 1)...].reduce(1, *)
        var s = shape
        if keepDim { s[dim] = 1 } else { s.remove(at: dim) }
        outShape = s
    }
}

extension Tensor {
    /// Converts a user's dimension (0-based, negative counts from the end).
    func normalizedDim(_ dim: Int, op: String) throws -> Int {
        let d = dim < 0 ? dim + rank : dim
        guard d >= 0, d < rank else {
            throw RuntimeError(.argument, op, "dimension \(dim) is out of range for a tensor of shape \(describe(shape))")
        }
        return d
    }
}
