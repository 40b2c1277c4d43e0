import Foundation

/// More ways to make tensors, with PyTorch's semantics: evenly spaced values
/// (linspace, logspace), random integers, permutations and draws from a
/// categorical distribution, all from optlab's seeded generator (the same
/// seed, the same values). Indices come back 1-based, as Lua indexes.
extension Tensor {
    /// `steps` values from `start` to `end`, both included, as torch.linspace
    /// computes them: the first half counted up from start, the second down
    /// from end, so both ends are exact.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .f32) throws -> Tensor {
        guard start.isFinite, end.isFinite else { throw RuntimeError(.argument, "linspace", "start and end must be finite (got \(start), \(end))") }
        guard steps >= 0 else { throw RuntimeError(.argument, "linspace", "steps must be non-negative, got \(steps)") }
        let t = try Tensor(uninitialized: [try validateCount(steps, op: "linspace")], dtype: dtype)
        guard steps > 1 else {
            if steps == 1 { t.setElement(0, start) }
            return t
        }
        let step = (end - start) / Double(steps - 1)
        let half = steps / 2
        for i in 0..<steps { t.setElement(i, i < half ? start + step * Double(i) : end - step * Double(steps - 1 - i)) }
        return t
    }

    /// base^v for v in linspace(start, end, steps).
    public static func logspace(_ start: Double, _ end: Double, steps: Int, base: Double = 10, dtype: DType = .f32) throws -> Tensor {
        guard base > 0, base.isFinite else { throw RuntimeError(.argument, "logspace", "base must be positive and finite, got \(base)") }
        let exponents = try linspace(start, end, steps: steps, dtype: .f64)
        let t = try Tensor(uninitialized: exponents.shape, dtype: dtype)
        for i in 0..<exponents.count { t.setElement(i, Foundation.pow(base, exponents.element(i))) }
        return t
    }

    /// Integers drawn uniformly from [low, high) (high excluded, as PyTorch's randint).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], dtype: DType = .i32, generator: Generator = .default) throws -> Tensor {
        guard high > low else { throw RuntimeError(.argument, "randint", "needs low < high, got [\(low), \(high))") }
        let (width, overflow) = high.subtractingReportingOverflow(low)
        guard !overflow else { throw RuntimeError(.argument, "randint", "the range [\(low), \(high)) is wider than 2^63") }
        switch dtype {
        case .i32:
            guard low >= Int(Int32.min), high - 1 <= Int(Int32.max) else {
                throw RuntimeError(.argument, "randint", "[\(low), \(high)) does not fit in i32 (ask for dtype \"f64\")")
            }
        default:
            guard Swift.abs(Double(low)) <= 9.007_199_254_740_992e15, Swift.abs(Double(high)) <= 9.007_199_254_740_992e15 else {
                throw RuntimeError(.argument, "randint", "[\(low), \(high)) is beyond ±2^53, where \(dtype.rawValue) holds every integer")
            }
        }
        let n = try validate(shape, op: "randint")
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        for i in 0..<n { t.setElement(i, Double(low + generator.below(width))) }
        return t
    }

    /// A random permutation of 1…n (i32), as torch.randperm's of 0…n−1 plus one.
    public static func randperm(_ n: Int, dtype: DType = .i32, generator: Generator = .default) throws -> Tensor {
        guard n >= 0 else { throw RuntimeError(.argument, "randperm", "n must be non-negative, got \(n)") }
        guard dtype != .i32 || n <= Int(Int32.max) else { throw RuntimeError(.argument, "randperm", "n = \(n) does not fit in i32") }
        let t = try Tensor(uninitialized: [try validateCount(n, op: "randperm")], dtype: dtype)
        for (i, v) in generator.permutation(n).enumerated() { t.setElement(i, Double(v + 1)) }
        return t
    }

    /// `samples` 1-based category indices drawn from each row of `weights`
    /// (non-negative, not necessarily normalized), with or without
    /// replacement, as torch.multinomial; a 1-d weights gives a 1-d result.
    public func multinomial(_ samples: Int, replacement: Bool = false, generator: Generator = .default) throws -> Tensor {
        try requireFloat("multinomial")
        guard rank == 1 || rank == 2 else { throw RuntimeError(.shape, "multinomial", "expected 1-d or 2-d weights, got \(rank)-d") }
        let categories = shape[rank - 1], rows = rank == 1 ? 1 : shape[0]
        guard samples >= 0 else { throw RuntimeError(.argument, "multinomial", "samples must be non-negative, got \(samples)") }
        guard replacement || samples <= categories else {
            throw RuntimeError(.argument, "multinomial", "cannot draw \(samples) samples without replacement from \(categories) categories")
        }
        let out = try Tensor(uninitialized: rank == 1 ? [samples] : [rows, samples], dtype: .i32)
        for r in 0..<rows {
            var w = (0..<categories).map { element(r * categories + $0) }
            guard w.allSatisfy({ $0 >= 0 && $0.isFinite }), w.contains(where: { $0 > 0 }) else {
                throw RuntimeError(.argument, "multinomial", "row \(r + 1) of the weights must be finite, non-negative and not all zero")
            }
            for s in 0..<samples {
                let total = w.reduce(0, +)
                guard total > 0 else {
                    throw RuntimeError(.argument, "multinomial", "row \(r + 1) has fewer non-zero weights than \(samples) samples without replacement")
                }
                var u = generator.uniform() * total, pick = categories - 1
                for (c, v) in w.enumerated() where v > 0 {
                    if u < v { pick = c; break }
                    u -= v
                }
                while w[pick] == 0 { pick -= 1 }   // (rounding at the very end lands on the last positive weight)
                out.setElement(r * samples + s, Double(pick + 1))
                if !replacement { w[pick] = 0 }
            }
        }
        return out
    }
}
