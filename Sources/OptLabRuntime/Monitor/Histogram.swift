/// A histogram with numpy's rules: `bins` equal-width bins over [min, max]
/// of the values (or a given range), the last bin closed on the right,
/// values outside the range and NaNs left out. Prints as horizontal bars.
public struct Histogram: CustomStringConvertible, Sendable {
    public let edges: [Double]
    public let counts: [Int]
    /// Values that were NaN or outside the range.
    public let excluded: Int

    public init(_ values: [Double], bins: Int = 20, range: (Double, Double)? = nil) throws {
        try self.init(count: values.count, bins: bins, range: range) { values[$0] }
    }

    /// Straight from a tensor's f32 or f64 memory: no array of Doubles (a
    /// run folder's histograms of every layer's output and gradient, each
    /// copied and filtered, were 3% of a convnet epoch).
    public init(_ t: Tensor, bins: Int = 20, range: (Double, Double)? = nil) throws {
        self = try t.readingDoubles { try Histogram(count: t.count, bins: bins, range: range, $0) }
    }

    /// The smallest and largest finite values (the first of equal ones), or nil.
    private static func extent(count n: Int, _ value: (Int) -> Double) -> (Double, Double)? {
        var found: (Double, Double)?
        for i in 0..<n {
            let v = value(i)
            guard v.isFinite else { continue }
            if let (lo, hi) = found { found = (v < lo ? v : lo, v > hi ? v : hi) } else { found = (v, v) }
        }
        return found
    }

    /// Of the values `value(0)` … `value(n − 1)`.
    init(count n: Int, bins: Int, range: (Double, Double)?, _ value: (Int) -> Double) throws {
        guard bins > 0, bins <= 10_000 else { throw RuntimeError(.argument, "monitor.hist", "bins must be in 1...10000, got \(bins)") }
        var (lo, hi) = range ?? Histogram.extent(count: n, value) ?? (0, 1)
        guard lo.isFinite, hi.isFinite, lo <= hi else { throw RuntimeError(.argument, "monitor.hist", "range must be finite with min ≤ max") }
        if lo == hi { lo -= 0.5; hi += 0.5 }   // numpy's choice for a constant input
        guard (hi - lo).isFinite else {
            throw RuntimeError(.argument, "monitor.hist", "the values span more than the largest double (\(lo) … \(hi)); give a range")
        }
        let e = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
        var c = [Int](repeating: 0, count: bins)
        var out = 0
        let width = (hi - lo) / Double(bins)
        e.withUnsafeBufferPointer { edges in
            c.withUnsafeMutableBufferPointer { counts in
                for index in 0..<n {
                    let v = value(index)
                    // NaN and ±inf fail the range test too
                    guard v >= lo && v <= hi else { out += 1; continue }
                    let position = (v - lo) / width
                    var i = position.isFinite ? Int(Swift.min(Swift.max(position, 0), Double(bins - 1))) : bins - 1
                    // Floating point can put a value on the wrong side of an edge; the edges decide.
                    while i > 0 && v < edges[i] { i -= 1 }
                    while i < bins - 1 && v >= edges[i + 1] { i += 1 }
                    counts[i] += 1
                }
            }
        }
        edges = e
        counts = c
        excluded = out
    }

    /// Bars 40 columns wide at most, in eighths of a block.
    public var description: String {
        let maxCount = Swift.max(counts.max() ?? 0, 1)
        let labels = zip(edges, edges.dropFirst()).enumerated().map { i, e in
            "[\(Histogram.short(e.0)), \(Histogram.short(e.1))\(i == counts.count - 1 ? "]" : ")")"
        }
        let w = labels.map(\.count).max() ?? 0
        var lines = zip(labels, counts).map { label, n in
            label.padding(toLength: w, withPad: " ", startingAt: 0) + " " + Histogram.bar(Double(n) / Double(maxCount) * 40) + " " + String(n)
        }
        lines.append("\(counts.reduce(0, +)) values" + (excluded > 0 ? ", \(excluded) outside the range or NaN" : ""))
        return lines.joined(separator: "\n")
    }

    /// A bar of `length` columns, drawn with eighth blocks.
    static func bar(_ length: Double) -> String {
        let eighths = Int((length * 8).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
    }

    /// One line of ten levels: ▁▂▃▄▅▆▇█, for compact histograms in tables.
    public var sparkline: String {
        let levels = Array("▁▂▃▄▅▆▇█")
        let m = Swift.max(counts.max() ?? 0, 1)
        return String(counts.map { $0 == 0 ? " " : levels[Swift.min(7, $0 * 8 / (m + 1))] })
    }

    public static func short(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = Swift.abs(v)
        if a >= 1e4 || a < 1e-3 { return String(format: "%.2e", v) }
        return String(format: "%.4g", v)
    }
}

import Foundation

extension Tensor {
    /// `body` with an accessor to the elements as Doubles, read straight from
    /// f32 or f64 memory (other dtypes through a copy).
    func readingDoubles<R>(_ body: ((Int) -> Double) throws -> R) rethrows -> R {
        switch dtype {
        case .f32:
            let p = ptr(Float.self)
            return try body { Double(p[$0]) }
        case .f64:
            let p = ptr(Double.self)
            return try body { p[$0] }
        default:
            let values = toDoubles()
            return try body { values[$0] }
        }
    }
}
