import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct ScheduleTests {
    func optimizer(_ lr: Double = 0.1) throws -> Optimizer {
        try Optimizer([Tensor.zeros([1]).requiringGrad()], rule: .sgd, learningRate: lr)
    }

    @Test func plateauWaitsPatienceThenCoolsDown() throws {
        let opt = try optimizer(1)
        let s = try Schedule(.plateau(factor: 0.5, patience: 1, cooldown: 1, minimum: 0.2, mode: .max, threshold: 0), optimizer: opt)
        var rates: [Double] = []
        for metric in [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6] {
            try s.step(metric: metric)
            rates.append(opt.learningRate)
        }
        // Worked by hand: two steps without improvement (> patience 1) halve the
        // rate; the step after a cut is a cooldown step.
        #expect(rates == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])
        #expect(throws: RuntimeError.self) { try s.step() }
    }

    @Test func momentumSchedule() throws {
        let m = try MomentumSchedule(start: 0.5, end: 0.99, steps: 10)
        #expect(m.momentum(at: 0) == 0.5 && Swift.abs(m.momentum(at: 5) - 0.745) < 1e-15 && m.momentum(at: 20) == 0.99)
    }
}
