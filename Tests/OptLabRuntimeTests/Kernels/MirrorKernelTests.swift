import CKernels
import Foundation
import Testing
@testable import OptLabRuntime

/// The lower triangle mirrored from the upper one (mirror.c): on every
/// instruction set, over whole tiles, tiles the diagonal cuts and ranges
/// starting off a tile's edge, exactly the elements asked for are written,
/// each with its mirror's bits; nothing else changes.
@Suite struct MirrorKernelTests {
    @Test(arguments: [0, 1, 2])
    func onlyTheAskedElementsTakeTheirMirrorsBits(_ level: Int32) {
        for (n, rows, columns) in [(5, 0..<5, 0..<5), (64, 0..<64, 0..<64), (100, 37..<100, 0..<37), (100, 37..<100, 37..<100),
                                   (256, 80..<256, 0..<80), (256, 80..<256, 80..<256), (33, 1..<20, 3..<30)] {
            let gen = Generator(seed: UInt64(n))
            let start = (0..<(n * n)).map { _ in Float(gen.normal()) }
            var want = start
            for i in rows { for j in columns where j < i { want[i * n + j] = start[j * n + i] } }
            var got = start
            optlab_mirror_below_f32_as(level, &got, n, rows.lowerBound, rows.upperBound, columns.lowerBound, columns.upperBound)
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "n \(n), rows \(rows), columns \(columns), level \(level)")
        }
    }
}

/// Σx² of f32 (sum_squares.c), which the optimizer takes beside every
/// block it updates: the same bits on every instruction set, at lengths
/// around the lanes and the 4096-element blocks, and within f32's rounding
/// of the exact sum (taken in f64).
@Suite struct SumOfSquaresKernelTests {
    @Test func everyInstructionSetGivesTheSameBitsNearTheExactSum() {
        for n in [0, 1, 15, 16, 17, 4095, 4096, 4113, 100_003] {
            let gen = Generator(seed: UInt64(n + 1))
            let x = (0..<n).map { _ in Float(gen.normal()) }
            let exact = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            let sums = (0...2).map { level in optlab_sum_squares_f32_as(Int32(level), x, n) }
            #expect(sums.allSatisfy { $0.bitPattern == sums[0].bitPattern }, "n \(n): \(sums)")
            #expect(Swift.abs(sums[0] - exact) <= 1e-6 * Swift.max(exact, 1), "n \(n): \(sums[0]) against \(exact)")
            x.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { #expect(sumOfSquares(base, n).bitPattern == sums[0].bitPattern) }
            }
        }
    }
}
