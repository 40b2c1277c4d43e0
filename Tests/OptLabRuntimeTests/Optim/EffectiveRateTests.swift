import Foundation
import Testing
@testable import OptLabRuntime

/// The probes' effective rate of an adaptive rule, lr/(√(v/c) + eps) over a
/// second moment: f32 (a CKernels loop, a large moment cut across the
/// threads) against the same statistics taken in f64 element by element.
@Suite struct EffectiveRateTests {
    @Test func f32StatisticsEqualTheF64OnesWholeOrCut() throws {
        for n in [7, 1000, 100_003] {   // 100,003: above two grains, so cut on two threads
            let gen = Generator(seed: UInt64(n))
            let values = (0..<n).map { _ in Float(Swift.abs(gen.normal()) * 1e-3 + 1e-9) }
            let v = try Tensor(values, shape: [n])
            let (lr, c, eps) = (1e-3, 0.3, 1e-8)
            let got = try adaptiveRate(v, lr: lr, correction: c, eps: eps, normKey: "v_norm")
            let exact = values.map { lr / ((Double($0) / c).squareRoot() + eps) }
            let mean = exact.reduce(0, +) / Double(n)
            // (the f32 kernel rounds 1/(√(v·c⁻¹)+eps) in f32: a relative 1e-6)
            #expect(Swift.abs(got["effective_lr"]! - mean) < 1e-6 * mean, "n \(n): \(got["effective_lr"]!) against \(mean)")
            #expect(Swift.abs(got["effective_lr_min"]! - exact.min()!) < 1e-12 * exact.min()!)
            #expect(Swift.abs(got["effective_lr_max"]! - exact.max()!) < 1e-12 * exact.max()!)
            let norm = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(Swift.abs(got["v_norm"]! - norm) < 1e-6 * norm)
        }
    }
}
