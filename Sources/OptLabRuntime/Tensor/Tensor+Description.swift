import Foundation

/// Printing, as numpy and Torch7 do: one number format shared by every
/// element, long dimensions elided in the middle, and a footer with the
/// shape and dtype.
///
/// ```
///   0.1000  -2.5000   3.0000
///   4.0000   5.0000   6.0000
/// [f32 tensor, shape 2×3]
/// ```
extension Tensor: CustomStringConvertible {
    public var description: String { formatted() }

    /// - Parameters:
    ///   - edge: how many entries to show at each end of a dimension longer than `2·edge + 1`.
    public func formatted(edge: Int = 3) -> String {
        let footer = "[\(dtype.rawValue) tensor, shape \(shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×"))]"
        if count == 0 { return "(empty)\n" + footer }
        let shown = shownIndices(edge: edge)
        let values = shown.map { element($0) }
        let format = NumberFormat(values, integer: dtype == .i32)
        if rank == 0 { return format.string(element(0)) + "\n" + footer }
        var lines: [String] = []
        formatBlock(prefix: [], edge: edge, format: format, into: &lines)
        return lines.joined(separator: "\n") + "\n" + footer
    }

    private func indices(along d: Int, edge: Int) -> [Int?] {
        let n = shape[d]
        if n <= 2 * edge + 1 { return Array(0..<n) }
        return Array(0..<edge) + [nil] + Array((n - edge)..<n)
    }

    private func shownIndices(edge: Int) -> [Int] {
        var flat: [Int] = [0]
        for d in 0..<rank {
            let picks = indices(along: d, edge: edge).compactMap { $0 }
            flat = flat.flatMap { base in picks.map { base * shape[d] + $0 } }
        }
        return flat
    }

    /// Rows of the last two dimensions, each 2-d block headed by its
    /// leading indices in Lua's 1-based form, as Torch7 prints `(1,2,.,.)`.
    private func formatBlock(prefix: [Int], edge: Int, format: NumberFormat, into lines: inout [String]) {
        let d = prefix.count
        if d + 1 == rank {
            lines.append(row(prefix, edge: edge, format: format))
            return
        }
        if d + 2 == rank {
            if d > 0 { lines.append("(" + prefix.map { String($0 + 1) }.joined(separator: ",") + ",.,.) =") }
            for i in indices(along: d, edge: edge) {
                if let i { lines.append(row(prefix + [i], edge: edge, format: format)) } else { lines.append(" ...") }
            }
            if d > 0 { lines.append("") }
            return
        }
        for i in indices(along: d, edge: edge) {
            if let i { formatBlock(prefix: prefix + [i], edge: edge, format: format, into: &lines) } else { lines.append("...\n") }
        }
    }

    private func row(_ prefix: [Int], edge: Int, format: NumberFormat) -> String {
        var base = 0
        for (d, i) in prefix.enumerated() { base = base * shape[d] + i }
        let last = shape[rank - 1]
        base *= last
        return indices(along: rank - 1, edge: edge).map { j in
            j.map { format.string(element(base + $0)) } ?? String(repeating: " ", count: Swift.max(format.width - 3, 0)) + "..."
        }.joined(separator: " ")
    }
}

/// One format for every shown value: integers when all are integral,
/// fixed with 4 decimals when magnitudes are moderate, else scientific.
struct NumberFormat {
    enum Style { case integer, fixed, scientific }
    let style: Style
    let width: Int

    init(_ values: [Double], integer: Bool) {
        let finite = values.filter { $0.isFinite }
        let maxAbs = finite.map { Swift.abs($0) }.max() ?? 0
        let minAbs = finite.filter { $0 != 0 }.map { Swift.abs($0) }.min() ?? 0
        if integer || (finite.allSatisfy { $0.rounded() == $0 } && maxAbs < 1e9) {
            style = .integer
        } else if maxAbs < 1e5 && (minAbs >= 1e-4 || minAbs == 0) {
            style = .fixed
        } else {
            style = .scientific
        }
        let probe = NumberFormat(style: style, width: 0)
        width = values.map { probe.raw($0).count }.max() ?? 1
    }

    private init(style: Style, width: Int) {
        self.style = style
        self.width = width
    }

    func raw(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        switch style {
        case .integer: return String(format: "%.0f", v)
        case .fixed: return String(format: "%.4f", v)
        case .scientific: return String(format: "%.4e", v)
        }
    }

    func string(_ v: Double) -> String {
        let s = raw(v)
        return String(repeating: " ", count: Swift.max(width - s.count, 0)) + s
    }
}
