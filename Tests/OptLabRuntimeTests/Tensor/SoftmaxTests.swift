import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct SoftmaxTests {
    @Test func softmaxMatchesNumpyAndIsStable() throws {
        let x = try f64([4, 6], seed: 50).mul(10)
        let ref = try NumpyOracle.run("""
        e = np.exp(x - x.max(1, keepdims=True)); sm = e / e.sum(1, keepdims=True)
        e0 = np.exp(x - x.max(0, keepdims=True)); sm0 = e0 / e0.sum(0, keepdims=True)
        out = dict(sm=sm, lsm=np.log(sm), sm0=sm0)
        """, ["x": x])
        try expectClose(x.softmax().toDoubles(), ref["sm"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.logSoftmax().toDoubles(), ref["lsm"]!.toDoubles(), tolerance: 1e-12, floor: 1e-3)
        try expectClose(x.softmax(dim: 0).toDoubles(), ref["sm0"]!.toDoubles(), tolerance: 1e-14)
        let huge = try Tensor.from([1000, 1001, 1002], dtype: .f32)
        #expect(try huge.softmax().toDoubles().allSatisfy { $0.isFinite })
    }

    @Test func crossEntropyOnZeroScoresIsLnC() throws {
        let loss = try Tensor.zeros([5, 10]).softmaxCrossEntropy(labels: Tensor(int32: [0, 1, 2, 3, 9]))
        #expect(Swift.abs(try loss.item() - Foundation.log(10.0)) < 1e-6)
    }

    @Test func crossEntropyMatchesComposedOpsAndFiniteDifferences() throws {
        let s = try f64([6, 4], seed: 51), y = try Tensor(int32: [0, 3, 1, 1, 2, 0])
        let composed = try s.logSoftmax().gather(dim: 1, y.unsqueeze(1)).mean().neg().item()
        #expect(Swift.abs(try s.softmaxCrossEntropy(labels: y).item() - composed) < 1e-14)
        try expectGradientsMatch([s]) { try $0[0].softmaxCrossEntropy(labels: y) }
        try expectGradientsMatch([s]) { try $0[0].softmax(dim: 1) }
        try expectGradientsMatch([s]) { try $0[0].logSoftmax(dim: 0) }
    }

    @Test func badLabelsAreNamed() throws {
        let s = try Tensor.zeros([2, 3])
        #expect(throws: RuntimeError(.argument, "softmax_cross_entropy", "label 3.0 at position 1 is out of range 0..<3")) {
            try s.softmaxCrossEntropy(labels: Tensor(int32: [0, 3]))
        }
        #expect(throws: RuntimeError.self) { try s.softmaxCrossEntropy(labels: Tensor(int32: [0])) }
    }
}
