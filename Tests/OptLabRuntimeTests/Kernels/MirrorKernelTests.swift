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
