import Testing
@testable import OptLabRuntime

/// Average pooling against plain loops, by hand, and by finite differences.
@Suite struct AvgPool2dTests {
    static func naive(_ x: Tensor, k: Int, s: Int) throws -> [Double] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out: [Double] = []
        for i in 0..<n { for ch in 0..<c { for y in 0..<((h - k) / s + 1) { for xo in 0..<((w - k) / s + 1) {
            var sum = 0.0
            for a in 0..<k { for b in 0..<k { sum += try x.value(at: [i, ch, y * s + a, xo * s + b]) } }
            out.append(sum / Double(k * k))
        } } } }
        return out
    }

    @Test func aHandWorkedWindow() throws {
        let x = try Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], shape: [1, 1, 4, 4])
        // windows {1,2,5,6}, {3,4,7,8}, {9,10,13,14}, {11,12,15,16}
        #expect(try AvgPool2d(2)(x).toDoubles() == [3.5, 5.5, 11.5, 13.5])
        #expect(try AvgPool2d(2)(x).shape == [1, 1, 2, 2])
        #expect(try AvgPool2d(3, stride: 1).summary == "AvgPool2d(3, stride 1)")
    }

    @Test func matchesNaiveLoops() throws {
        let x = try f64([2, 3, 7, 6], seed: 21)
        for (k, s) in [(2, 2), (3, 1), (2, 3), (3, 2)] {
            expectClose(try AvgPool2d(k, stride: s)(x).toDoubles(), try AvgPool2dTests.naive(x, k: k, s: s), tolerance: 1e-14)
        }
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        for (k, s) in [(2, 2), (3, 1), (2, 3)] {
            try expectGradientsMatch([try f64([2, 2, 6, 5], seed: 22)]) { try $0[0].avgPool2d(kernel: k, stride: s) }
        }
    }

    @Test func badWindowsAreErrors() throws {
        #expect(throws: RuntimeError.self) { try AvgPool2d(0) }
        #expect(throws: RuntimeError.self) { try AvgPool2d(5)(try f64([1, 1, 4, 4], seed: 1)) }
        #expect(throws: RuntimeError.self) { try AvgPool2d(2)(try f64([4, 4], seed: 1)) }
    }
}
