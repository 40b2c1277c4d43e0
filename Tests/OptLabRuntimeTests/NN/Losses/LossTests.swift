import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct LossTests {
    @Test func chanceLossesAtZeroScores() throws {
        let s = try Tensor.zeros([8, 10], dtype: .f64), y = try Tensor(int32: [0, 1, 2, 3, 4, 5, 6, 9])
        #expect(Swift.abs(try Loss.softmaxCrossEntropy(s, y).item() - Foundation.log(10)) < 1e-12)
        #expect(try Loss.multiclassSVM(margin: 1)(s, y).item() == 9)
        #expect(Loss.multiclassSVM(margin: 1).chanceLoss(classes: 10) == 9)
    }

    @Test func svmMatchesTheNotesWorkedExample() throws {
        // CS231n's example: scores [3.2, 5.1, -1.7], correct class 0:
        // max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = 2.9
        let s = try Tensor.from([3.2, 5.1, -1.7], shape: [1, 3], dtype: .f64)
        #expect(Swift.abs(try s.multiclassSVM(labels: Tensor(int32: [0])).item() - 2.9) < 1e-12)
    }

    @Test func lossGradients() throws {
        let y = try Tensor(int32: [2, 0, 1, 1])
        // Scores spread apart so no hinge sits within h of its kink.
        let s = try Tensor.from((0..<12).map { Double(($0 * 7) % 12) * 0.37 }, shape: [4, 3], dtype: .f64)
        try expectGradientsMatch([s]) { try $0[0].multiclassSVM(labels: y, margin: 1) }
        try expectGradientsMatch([s]) { try Loss.softmaxCrossEntropy($0[0], y) }
        let t = try f64([4, 3], seed: 20)
        try expectGradientsMatch([s]) { try Loss.mse($0[0], t) }
    }

    /// Label smoothing against PyTorch 2.15's `cross_entropy(s, y,
    /// label_smoothing=0.1)` in f64 (values printed by it, and its gradient),
    /// a finite-difference gradient, and ε = 0 against the plain loss.
    @Test func labelSmoothingMatchesPyTorch() throws {
        let y = try Tensor(int32: [2, 0, 1, 1])
        let values = (0..<12).map { Double(($0 * 7) % 12) * 0.37 }
        let s = try Tensor.from(values, shape: [4, 3], dtype: .f64).requiringGrad()
        let loss = try Loss.smoothedSoftmaxCrossEntropy(smoothing: 0.1)(s, y)
        #expect(Swift.abs(try loss.item() - 1.6192391721938804) < 1e-14)
        try loss.backward()
        let torchGrad = [0.006886711576073051, 0.19454638909943628, -0.20143310067550932, -0.1564852762120903,
                         0.0037500374051187176, 0.15273523880697157, 0.06851472378790972, -0.22124996259488128,
                         0.15273523880697157, 0.006886711576073051, -0.030453610900563727, 0.02356689932449068]
        for (g, want) in zip(try [Double](s.grad!), torchGrad) { #expect(Swift.abs(g - want) < 1e-15) }
        let plain = try Tensor.from(values, shape: [4, 3], dtype: .f64)
        try expectGradientsMatch([plain]) { try $0[0].softmaxCrossEntropy(labels: y, smoothing: 0.25) }
        #expect(try plain.softmaxCrossEntropy(labels: y, smoothing: 0).item() == plain.softmaxCrossEntropy(labels: y).item())
        // uniform scores are still at chance, ln C, whatever ε
        #expect(Swift.abs(try Tensor.zeros([3, 10], dtype: .f64).softmaxCrossEntropy(labels: Tensor(int32: [0, 4, 9]), smoothing: 0.3).item() - Foundation.log(10)) < 1e-12)
        #expect(throws: RuntimeError.self) { try plain.softmaxCrossEntropy(labels: y, smoothing: 1) }
    }

    @Test func l2CountsWeightsNotBiases() throws {
        let m = try Sequential([Linear(2, 2), ReLU(), Linear(2, 1)])
        try m.to(.f64)
        for p in m.parameters() { try p.copy(from: Tensor.full(p.shape, 2, dtype: .f64)) }
        // weights: 4 + 2 entries of 2² = 24; ½·0.1·24 = 1.2 (biases excluded)
        #expect(Swift.abs(try l2Penalty(m, strength: 0.1).item() - 1.2) < 1e-12)
        #expect(Swift.abs(try l2Penalty(m, strength: 0.1, includeBiases: true).item() - 0.5 * 0.1 * 36) < 1e-12)
    }
}
