import Foundation
import Testing
@testable import OptLabRuntime

/// train.fit's augmentation: the transform against hand-worked images, and
/// its draws: reproducible from (seed, epoch, batch), about half flipped,
/// shifts spread over the whole range.
@Suite struct AugmentationTests {
    /// One 1×3×3 image, 1…9 row by row.
    static let image: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]

    func applied(_ d: Augmentation.Draw) throws -> [Float] {
        try [Float](Augmentation.apply(try Tensor(shape: [1, 1, 3, 3], AugmentationTests.image), [d]))
    }

    @Test func flipsAndShiftsByHand() throws {
        #expect(try applied(.init(flip: false, dy: 0, dx: 0)) == AugmentationTests.image)
        #expect(try applied(.init(flip: true, dy: 0, dx: 0)) == [3, 2, 1, 6, 5, 4, 9, 8, 7])
        // moved one pixel right and one down: the first row and column are the zero border
        #expect(try applied(.init(flip: false, dy: 1, dx: 1)) == [0, 0, 0, 0, 1, 2, 0, 4, 5])
        #expect(try applied(.init(flip: false, dy: -1, dx: -2)) == [6, 0, 0, 9, 0, 0, 0, 0, 0])
        // mirrored, then moved one right
        #expect(try applied(.init(flip: true, dy: 0, dx: 1)) == [0, 3, 2, 0, 6, 5, 0, 9, 8])
    }

    @Test func eachImageAndChannelGetsItsOwnDraw() throws {
        // two images of two channels: image 0 flipped, image 1 moved down; both channels alike
        let x = try Tensor(shape: [2, 2, 3, 3], (0..<4).flatMap { k in AugmentationTests.image.map { $0 + Float(10 * k) } })
        let y = try [Float](Augmentation.apply(x, [.init(flip: true, dy: 0, dx: 0), .init(flip: false, dy: 1, dx: 0)]))
        #expect(Array(y[0..<9]) == [3, 2, 1, 6, 5, 4, 9, 8, 7])
        #expect(Array(y[9..<18]) == [13, 12, 11, 16, 15, 14, 19, 18, 17])
        #expect(Array(y[18..<27]) == [0, 0, 0, 21, 22, 23, 24, 25, 26])
        #expect(Array(y[27..<36]) == [0, 0, 0, 31, 32, 33, 34, 35, 36])
        #expect(throws: RuntimeError.self) { try Augmentation.apply(try Tensor(shape: [2, 9], [Float](repeating: 0, count: 18)), []) }
    }

    @Test func drawsAreReproducibleAndSpread() throws {
        let aug = try Augmentation(flip: true, shift: 2)
        let a = aug.draws(count: 4000, seed: 1, epoch: 3, batch: 7)
        #expect(a == aug.draws(count: 4000, seed: 1, epoch: 3, batch: 7))
        #expect(a != aug.draws(count: 4000, seed: 1, epoch: 3, batch: 8))
        #expect(a != aug.draws(count: 4000, seed: 1, epoch: 4, batch: 7))
        let flipped = a.filter(\.flip).count
        #expect(abs(flipped - 2000) < 150, "\(flipped) of 4000 flipped")
        for k in [-2, -1, 0, 1, 2] {
            let n = a.filter { $0.dx == k }.count, m = a.filter { $0.dy == k }.count
            #expect(abs(n - 800) < 120 && abs(m - 800) < 120, "shift \(k): \(n) and \(m) of 4000")
        }
        #expect(a.allSatisfy { abs($0.dx) <= 2 && abs($0.dy) <= 2 })
        #expect(try Augmentation(flip: false, shift: 0).draws(count: 3, seed: 1, epoch: 1, batch: 1).allSatisfy { !$0.flip && $0.dx == 0 && $0.dy == 0 })
        #expect(throws: RuntimeError.self) { try Augmentation(shift: -1) }
    }
}
