import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct SpiralConvergenceTests {
    @Test(arguments: [(SGDRule() as any UpdateRule, 1.0), (MomentumRule(mu: 0.9), 0.3), (NesterovRule(mu: 0.9), 0.3), (AdagradRule(eps: 1e-8), 0.3),
                      (RMSpropRule(decay: 0.99, eps: 1e-8), 0.01), (AdamRule(beta1: 0.9, beta2: 0.999, eps: 1e-8), 0.02)])
    func everyRuleTrainsTheSpiralMLP(_ rule: any UpdateRule, _ lr: Double) throws {
        let d = try Datasets.spiral(classes: 3, perClass: 100, seed: 0)
        let model = try Sequential([Linear(2, 100, initialization: .kaiming), ReLU(), Linear(100, 3)])
        let opt = try Optimizer(model.parameters(), rule: rule, learningRate: lr)
        for _ in 0..<500 {
            opt.zeroGrad()
            try Loss.softmaxCrossEntropy(model(d.inputs), d.labels).add(l2Penalty(model, strength: 1e-3)).backward()
            try opt.step()
        }
        #expect(try accuracy(model, d) > 0.9, "\(rule.name)")
    }
}
