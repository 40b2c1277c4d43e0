/// numpy's broadcasting rules: align shapes at the right; each pair of sizes
/// must be equal or one of them 1.
enum Broadcast {
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw RuntimeError(.shape, op, "shapes \(describe(a)) and \(describe(b)) do not broadcast (dimension \(i + 1): \(da) vs \(db))")
            }
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Element strides of a tensor of `shape` read as if it had `outShape`:
    /// 0 along dimensions it is broadcast over.
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        let n = outShape.count
        var strides = [Int](repeating: 0, count: n)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + (n - shape.count)
            strides[o] = shape[i] == 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }
}

/// Walks the outer dimensions of `outShape` (all but the last) as an odometer,
/// calling `body(outOffset, aOffset, bOffset)` once per innermost row.
@inline(__always)
func forEachRow(_ outShape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    let rank = outShape.count
    guard rank > 1 else { body(0, 0, 0); return }
    let inner = outShape[rank - 1]
    var idx = [Int](repeating: 0, count: rank - 1)
    var ao = 0, bo = 0, oo = 0
    let rows = outShape.dropLast().reduce(1, *)
    for _ in 0..<rows {
        body(oo, ao, bo)
        oo += inner
        var d = rank - 2
        while d >= 0 {
            idx[d] += 1
            ao += sa[d]
            bo += sb[d]
            if idx[d] < outShape[d] { break }
            ao -= sa[d] * idx[d]
            bo -= sb[d] * idx[d]
            idx[d] = 0
            d -= 1
        }
    }
}

/// out[i] = f(a[i'], b[i'']) over the broadcast shape. Fast paths for equal
/// shapes and for a one-element operand; they are the loops the compiler
/// vectorises. (On one thread: see Elementwise.swift for the parallel ones.)
@inline(__always)
func mapBinary<T, U>(_ a: UnsafePointer<T>, _ aShape: [Int], _ b: UnsafePointer<T>, _ bShape: [Int],
                     _ out: UnsafeMutablePointer<U>, _ outShape: [Int], _ f: (T, T) -> U) {
    let n = outShape.reduce(1, *)
    let na = aShape.reduce(1, *), nb = bShape.reduce(1, *)
    if na == n && nb == n {
        for i in 0..<n { out[i] = f(a[i], b[i]) }
    } else if nb == 1 && na == n {
        let bv = b[0]
        for i in 0..<n { out[i] = f(a[i], bv) }
    } else if na == 1 && nb == n {
        let av = a[0]
        for i in 0..<n { out[i] = f(av, b[i]) }
    } else {
        let sa = Broadcast.strides(of: aShape, in: outShape)
        let sb = Broadcast.strides(of: bShape, in: outShape)
        let inner = outShape.last ?? 1
        let ia = sa.last ?? 0, ib = sb.last ?? 0
        forEachRow(outShape, sa, sb) { oo, ao, bo in
            let o = out + oo, pa = a + ao, pb = b + bo
            if ia == 1 && ib == 1 {
                for j in 0..<inner { o[j] = f(pa[j], pb[j]) }
            } else if ia == 1 {
                let bv = pb[0]
                for j in 0..<inner { o[j] = f(pa[j], bv) }
            } else if ib == 1 {
                let av = pa[0]
                for j in 0..<inner { o[j] = f(av, pb[j]) }
            } else {
                let av = pa[0], bv = pb[0]
                for j in 0..<inner { o[j] = f(av, bv) }
            }
        }
    }
}

@inline(__always)
func mapUnary<T, U>(_ a: UnsafePointer<T>, _ out: UnsafeMutablePointer<U>, _ n: Int, _ f: (T) -> U) {
    for i in 0..<n { out[i] = f(a[i]) }
}
