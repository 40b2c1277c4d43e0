import Foundation
import Testing
@testable import OptLabRuntime

/// Every registered loss, gradient-checked by finite differences in f64 and
/// rebuilt from the settings a run records. A loss added to `Losses.all`
/// without an entry here fails `everyLossHasAnEntry`.
@Suite struct LossRegistryTests {
    struct Entry: Sendable {
        var numbers: [String: Double] = [:]
        /// Scores ([N, C] unless given) and their targets (labels 0-based, or values).
        var targets: @Sendable () throws -> Tensor
        var scores = [5, 4]
    }

    static let entries: [String: Entry] = [
        "SoftmaxCrossEntropy": Entry(numbers: ["label_smoothing": 0.1], targets: { try Tensor(int32: [0, 3, 1, 2, 3]) }),
        // a language model's [N, T, V] scores, the label written 2 (0-based 1) ignored
        "NLL": Entry(numbers: ["ignore_index": 2], targets: { try Tensor(int32: [0, 1, 3, 1, 2, 3]).reshape([2, 3]) }, scores: [2, 3, 4]),
        "MulticlassSVM": Entry(numbers: ["margin": 2], targets: { try Tensor(int32: [1, 0, 3, 3, 2]) }),
        "MSE": Entry(targets: { try f64([5, 4], seed: 11) }),
        "L1": Entry(targets: { try f64([5, 4], seed: 12) }),
        "Huber": Entry(numbers: ["delta": 0.7], targets: { try f64([5, 4], seed: 13) }),
        "SmoothL1": Entry(numbers: ["beta": 0.5], targets: { try f64([5, 4], seed: 14) }),
        "BCEWithLogits": Entry(numbers: ["pos_weight": 2], targets: { try Tensor.rand([5, 4], dtype: .f64, generator: Generator(seed: 15)) }),
        "KLDiv": Entry(targets: { try f64([5, 4], seed: 16).softmax(dim: 1) }),
    ]

    @Test func everyLossHasAnEntry() {
        for kind in Losses.all { #expect(Self.entries[kind.name] != nil, "\(kind.name) is registered without a test entry") }
        for name in Self.entries.keys { #expect(Losses.registry.named(name) != nil, "entry for \(name), which is not registered") }
    }

    @Test(arguments: Losses.all.map(\.name))
    func gradientsMatchFiniteDifferences(_ name: String) throws {
        guard let kind = Losses.registry.named(name), let e = Self.entries[name] else { return }
        let loss = try kind.make(ConstructorArguments(layer: name, numbers: e.numbers))
        let targets = try e.targets()
        // scores × 3 so the hinge's and the softmax's regions are all visited
        try expectGradientsMatch([try f64(e.scores, seed: 5).mul(3)], tolerance: 1e-5) { try loss($0[0], targets) }
    }

    @Test(arguments: Losses.all.map(\.name))
    func theRecordedSettingsRebuildTheLoss(_ name: String) throws {
        guard let kind = Losses.registry.named(name), let e = Self.entries[name] else { return }
        let loss = try kind.make(ConstructorArguments(layer: name, numbers: e.numbers))
        let rebuilt = try kind.make(ConstructorArguments(layer: name, numbers: loss.rule.config))
        #expect(rebuilt == loss && rebuilt.name == loss.name, "\(name): \(rebuilt.name) vs \(loss.name)")
        let scores = try f64(e.scores, seed: 6), targets = try e.targets()
        #expect(try rebuilt(scores, targets).item() == loss(scores, targets).item())
        for key in loss.rule.config.keys { #expect(kind.options.contains { $0.name == key }, "\(name)'s setting \(key) is no option") }
    }
}
