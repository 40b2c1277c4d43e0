import CKernels

/// The product a recurrent layer repeats at every time step, split by hidden
/// units: forward, the gates of h·W_hhᵀ (W_hh is [4H, H]); backward, dh =
/// dA·W_hh. Each thread takes a range of units and computes their products
/// and then their cells, so a step is one parallel job and no thread waits
/// for another inside it.
///
/// In f32 on AVX-512 the weights are packed once per sequence into panels
/// (CKernels' panels.c) that every step reads as they are; elsewhere the
/// caller runs the whole step's product through BLAS first and `product`
/// does nothing.
struct RecurrentProduct {
    /// Forward: a panel is 16 units' four gates (group stride H, K = H).
    /// Backward: a panel is 64 units of dh in groups of 16 (K = 4H).
    let forward: Bool
    let units: Int
    let panelUnits: Int
    let panelCount: Int
    let depth: Int
    let parallel: Bool
    private let panels: Tensor?

    var packed: Bool { panels != nil }

    init(_ weight: Tensor, units h: Int, dtype: DType, batch n: Int, transposed forward: Bool) {
        self.forward = forward
        units = h
        panelUnits = forward ? 16 : 64
        panelCount = (h + panelUnits - 1) / panelUnits
        depth = forward ? h : 4 * h
        // a step's product below a million flops is not worth the hand-off
        parallel = panelCount >= 2 && 8 * n * h * h >= 1 << 20
        guard dtype == .f32, optlab_panels_available() != 0, h > 0,
              let storage = try? Tensor.zeros([panelCount * depth * 64], dtype: .f32) else {
            panels = nil
            return
        }
        let (w, p) = (weight.ptr(Float.self), storage.ptr(Float.self))
        for q in 0..<panelCount {
            let panel = p + q * depth * 64
            if forward {
                // column g·16 + u holds gate g's weights of unit 16q + u, a row of W_hh
                for column in 0..<64 where q * 16 + column % 16 < h {
                    let row = w + ((column / 16) * h + q * 16 + column % 16) * h
                    for k in 0..<depth { panel[k * 64 + column] = row[k] }
                }
            } else {
                // row k holds W_hh[k, 64q ..< 64q + 64]
                let width = Swift.min(64, h - q * 64)
                for k in 0..<depth { (panel + k * 64).update(from: w + k * h + q * 64, count: width) }
            }
        }
        panels = storage
    }

    /// Calls `body(units, panels)` on each thread's share of the units.
    func forUnits(_ body: (Range<Int>, Range<Int>) -> Void) {
        Parallel.forRanges(panelCount, grain: parallel ? 2 : panelCount + 1) { range in
            body(Swift.min(units, range.lowerBound * panelUnits)..<Swift.min(units, range.upperBound * panelUnits), range)
        }
    }

    /// The products of `panels` for the m rows of `a` (lda apart), into c:
    /// forward the four gates' columns of those units (ldc = 4H), backward
    /// dh's columns of those units (ldc = H).
    func product<T>(_ a: UnsafeMutablePointer<T>, _ lda: Int, _ range: Range<Int>, rows m: Int,
                    into c: UnsafeMutablePointer<T>, ldc: Int) {
        guard let panels, T.self == Float.self else { return }
        let (fa, fc, p) = (UnsafeMutableRawPointer(a).assumingMemoryBound(to: Float.self),
                           UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), panels.ptr(Float.self))
        // each group's valid lanes: forward, the panel's units in every gate; backward, 16-unit slices of them
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4) { valid in
            for q in range {
                let first = q * panelUnits
                for k in 0..<4 { valid[k] = Int32(Swift.max(0, Swift.min(16, units - first - (forward ? 0 : 16 * k)))) }
                optlab_panel_product_f32(fa, lda, m, p + q * depth * 64, depth, fc + first, ldc, forward ? units : 16, valid.baseAddress)
            }
        }
    }
}
