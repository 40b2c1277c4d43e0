import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct DiagnosisTests {
    @Test func diagnosisOfSyntheticHistories() {
        let g = Generator(seed: 1)
        let falling = (0..<200).map { 2.3 * Foundation.exp(-Double($0) / 50) + 0.1 }
        func kinds(_ l: [Double], _ t: [Double], _ v: [Double]) -> [Diagnosis.Finding.Kind] {
            Diagnosis.diagnose(loss: l, trainAccuracy: t, validationAccuracy: v).map(\.kind)
        }
        #expect(kinds(falling, [0.8, 0.9], [0.79, 0.88]) == [.healthy])
        #expect(kinds((0..<200).map { 2.3 - Double($0) * 1e-5 }, [0.3], [0.3]).contains(.flat))
        #expect(kinds((0..<50).map { 2.3 * Foundation.exp(Double($0) / 10) }, [], []) == [.exploding])
        // a blown-up run's low accuracy is not underfitting: "a bigger model" would be the wrong advice
        #expect(kinds((0..<50).map { 2.3 * Foundation.exp(Double($0) / 10) }, [0.3], [0.31]) == [.exploding])
        #expect(kinds(falling.map { $0 * (1 + 0.8 * (g.uniform() - 0.5) * 2) }, [], []).contains(.noisy))
        #expect(kinds(falling, [0.99], [0.80]) == [.overfitting])
        #expect(kinds(falling, [0.55], [0.54]) == [.underfitting])
    }
}
