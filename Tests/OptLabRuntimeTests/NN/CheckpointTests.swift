import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct ModelFileTests {
    @Test func saveAndLoadRebuildTheSameModel() throws {
        let m = try Sequential([Conv2d(1, 2, kernel: 3, padding: 1), BatchNorm(2), ReLU(), MaxPool2d(2), Flatten(), Dropout(0.3),
                                Linear(2 * 2 * 2, 3), Tanh(), Maxout(3, 2, pieces: 2), LeakyReLU(slope: 0.2), Sigmoid()])
        m.evaluate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path, metadata: ["note": "x"])
        let (loaded, meta) = try Module.load(from: path)
        loaded.evaluate()
        #expect(meta == ["note": "x"])
        #expect(loaded.description == m.description)
        let x = try Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 1))
        #expect(try loaded(x).toDoubles() == m(x).toDoubles())
    }

    @Test func cloneIsIndependent() throws {
        let m = try Linear(3, 2)
        let c = try m.clone() as? Linear
        c?.weight.fill(0)
        #expect(try m.weight.norm().item() > 0)
        #expect(try c?.weight.norm().item() == 0)
    }

    @Test func ensembleAveragesProbabilities() throws {
        let a = try Linear(2, 3), b = try Linear(2, 3)
        let x = try Tensor.randn([4, 2], generator: Generator(seed: 2))
        let want = try a(x).softmax().add(b(x).softmax()).div(2).log()
        expectClose(try Ensemble([a, b])(x).toDoubles(), want.toDoubles(), tolerance: 1e-6)
    }

    @Test func aCheckpointWithoutArchitectureIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("n-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensors.save([("w", Tensor.ones([2]))], to: path)
        #expect(throws: RuntimeError.self) { try Module.load(from: path) }
    }
}
