import Foundation
import Testing
@testable import OptLabRuntime

/// Every registered update rule, built as Lua builds it (its declaration's
/// options and weight decay), run against its scalar formula (`Transcribed`)
/// and resumed bit for bit from saved state. A rule added to
/// `UpdateRules.all` without an entry here fails `everyRuleHasAnEntry`.
@Suite struct UpdateRuleRegistryTests {
    /// Option settings to run each declaration with (each a separate run).
    static let entries: [String: [[String: Double]]] = [
        "SGD": [[:], ["momentum": 0.9], ["momentum": 0.8, "nesterov": 1]],
        "Adagrad": [["eps": 1e-6]],
        "RMSprop": [["decay": 0.9, "eps": 1e-8]],
        "Adam": [[:], ["beta1": 0.8, "beta2": 0.99, "eps": 1e-6]],
        "AdamW": [["beta1": 0.85]],
        "NAdam": [[:], ["momentum_decay": 0.01, "decoupled_weight_decay": 1]],
        "RAdam": [[:], ["beta2": 0.9]],
        "Adamax": [["eps": 1e-4]],
        "Adadelta": [[:]],
        "Rprop": [[:], ["etas_1": 0.3, "etas_2": 1.5, "step_sizes_1": 1e-4, "step_sizes_2": 0.2]],
        "ASGD": [["t0": 5, "lambd": 0.01]],
        "Adafactor": [[:], ["beta2_decay": -0.5, "eps1": 1e-20, "d": 1.5]],
        "Muon": [[:], ["nesterov": 0, "ns_steps": 3]],
        "Lion": [[:]],
        "LAMB": [[:]],
        "SOAP": [[:], ["precondition_frequency": 3, "merge_dims": 1, "shampoo_beta": 0.5]],
        "LARS": [[:], ["nesterov": 1, "trust_coefficient": 0.01]],
        "ScheduleFreeSGD": [[:], ["warmup": 5, "r": 1]],
        "ScheduleFreeAdamW": [["warmup": 3]],
    ]

    /// The notes' rules, transcribed below as scalar formulas; the others are
    /// checked against torch.optim's trajectories (RulesAgainstPyTorchTests).
    static let transcribed: Set<String> = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]

    @Test func everyRuleHasAnEntry() {
        for kind in UpdateRules.all { #expect(Self.entries[kind.name] != nil, "\(kind.name) is registered without a test entry") }
        for name in Self.entries.keys { #expect(UpdateRules.registry.named(name) != nil, "entry for \(name), which is not registered") }
    }

    static var cases: [(String, [String: Double])] {
        UpdateRules.all.flatMap { k in (entries[k.name] ?? []).map { (k.name, $0) } }
    }

    @Test(arguments: cases.filter { transcribed.contains($0.0) })
    func trajectoryMatchesTheScalarFormula(_ name: String, _ options: [String: Double]) throws {
        let kind = try #require(UpdateRules.registry.named(name))
        let rule = try kind.make(ConstructorArguments(layer: name, numbers: options))
        let g = Generator(seed: 5)
        let grads = (0..<25).map { _ in (0..<4).map { _ in g.normal() } }
        let x0 = [0.5, -1, 2, 0.25], lr = 0.05, decay = 0.1
        let p = try Tensor.from(x0, dtype: .f64).requiringGrad()
        let opt = try Optimizer(groups: [([p], rule, lr, decay)], learningRate: lr, decoupled: kind.decoupledWeightDecay)
        for dx in grads {
            p.grad = try Tensor.from(dx, dtype: .f64)
            try opt.step()
        }
        let expected = Transcribed.run(rule, lr: lr, x0: x0, grads: grads, weightDecay: decay, decoupled: kind.decoupledWeightDecay)
        expectClose(p.toDoubles(), expected, tolerance: 1e-12)
    }

    @Test(arguments: cases)
    func resumingFromSavedStateIsBitIdentical(_ name: String, _ options: [String: Double]) throws {
        let kind = try #require(UpdateRules.registry.named(name))
        let g = Generator(seed: 9)
        let grads = (0..<20).map { _ in (0..<5).map { _ in Float(g.normal()) } }
        func train(split: Bool) throws -> [Float] {
            func optimizer(_ p: Tensor, lr: Double) throws -> Optimizer {
                try Optimizer(groups: [([p], try kind.make(ConstructorArguments(layer: name, numbers: options)), lr, 0.01)], learningRate: lr,
                              decoupled: kind.decoupledWeightDecay)
            }
            // a [5, 1] matrix, which every rule takes (Muon only matrices; Adafactor factors it)
            var p = try Tensor([Float](repeating: 0.5, count: 5)).reshape([5, 1]).requiringGrad()
            var opt = try optimizer(p, lr: 0.01)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("opt-\(UUID().uuidString).safetensors").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            for (i, dx) in grads.enumerated() {
                if split && i == 10 {
                    try opt.save(to: path)
                    p = try p.clone().requiringGrad()
                    opt = try optimizer(p, lr: 0.999)
                    try opt.load(from: path)
                }
                p.grad = try Tensor(dx).reshape([5, 1])
                try opt.step()
            }
            return p.toFloats()
        }
        #expect(try train(split: false) == train(split: true), "\(name) \(options)")
    }
}
