import Foundation
import Testing
@testable import OptLabRuntime

/// The range test's suggestions on a curve whose answers are known, and the
/// test's promise to leave the model and optimizer exactly as it found them.
@Suite struct RangeTestTests {
    /// 81 rates 10^-7 … 10^1 (a tenth of a decade apart); the loss falls
    /// fastest at 10^-2.05 (−tanh's inflection), between grid points -2.1 and -2.0,
    /// and rises again from its minimum as 0.02·10^x grows.
    static let exponents = (0...80).map { -7 + Double($0) / 10 }
    static let rates = exponents.map { Foundation.pow(10, $0) }
    static let losses = exponents.map { -tanh($0 + 2.05) + 0.02 * Foundation.pow(10, $0) }

    @Test func suggestionsOfAKnownCurve() {
        let s = RangeTest.suggest(rates: Self.rates, smoothed: Self.losses)
        // the steepest pair is (−2.1, −2.0): its left point
        #expect(Swift.abs(Foundation.log10(s.steepest!) + 2.1) < 1e-9, "steepest \(s.steepest!)")
        let m = Self.losses.indices.min { Self.losses[$0] < Self.losses[$1] }!
        #expect(s.minimumOverTen == Self.rates[m] / 10)
        // strictly falling from the first point to the minimum: fastai's valley is
        // index −1 + ⌊(m+1)/3⌋ + ⌊(m+1)/6⌋ (its span starts one before the run)
        let third = Double(m + 1) / 3
        #expect(s.valley == Self.rates[-1 + Int(third) + Int(third / 2)])
    }

    @Test func aShortCurveSuggestsNothing() {
        let s = RangeTest.suggest(rates: [1e-3, 1e-2, 1e-1], smoothed: [1, 0.5, 2])
        #expect(s.steepest == nil && s.minimumOverTen == nil && s.valley == nil)
    }

    @Test func theModelAndOptimizerAreRestoredBitForBit() throws {
        // the default generator to itself: other suites draw from the process's meanwhile
        try Generator.$scoped.withValue(Generator(seed: 0)) { try restoredBitForBit() }
    }

    func restoredBitForBit() throws {
        let g = Generator(seed: 4)
        let x = try Tensor.randn([96, 5], generator: g)
        let labels = try Tensor(int32: (0..<96).map { Int32($0 % 3) })
        let data = try Dataset(inputs: x, labels: labels)
        func model() throws -> Module {
            Generator.default.state = Generator(seed: 9).state
            return try Sequential([Linear(5, 8), BatchNorm(8), ReLU(), Dropout(0.3), Linear(8, 3)])
        }
        func train(_ m: Module, _ opt: Optimizer, steps: Int) throws {
            Generator.default.state = Generator(seed: UInt64(steps)).state  // the same dropout draws on both sides
            for b in try data.batches(size: 32).prefix(steps) {
                opt.zeroGrad()
                try m(b.inputs).softmaxCrossEntropy(labels: b.labels).backward()
                try opt.step()
            }
        }
        let loss: Trainer.LossFunction = { try $0.softmaxCrossEntropy(labels: $1) }
        // a model trained 2 steps, then 3 more; and the same with a range test between
        let (a, b) = (try model(), try model())
        let (oa, ob) = (try Optimizer(a.parameters(), rule: AdamRule(), learningRate: 1e-2), try Optimizer(b.parameters(), rule: AdamRule(), learningRate: 1e-2))
        try train(a, oa, steps: 2)
        try train(b, ob, steps: 2)
        var options = RangeTest.Options()
        options.steps = 30
        options.batchSize = 16
        let generatorBefore = Generator.default.state
        let sweeps = try RangeTest.run(model: b, loss: loss, optimizer: ob, train: data, options: options, seeds: [1, 2])
        #expect(sweeps.count == 2 && sweeps[0].rates.count > 5)
        #expect(ob.learningRate == 1e-2)
        #expect(Generator.default.state == generatorBefore, "the default generator is restored")
        #expect(b.isTraining)
        // the generator as the test left it (restored, not advanced), then the same 3 steps on both
        try train(a, oa, steps: 3)
        try train(b, ob, steps: 3)
        for (p, q) in zip(a.parameters(), b.parameters()) { #expect(p.toFloats() == q.toFloats()) }
        for (p, q) in zip(a.namedBuffers(), b.namedBuffers()) { #expect(p.tensor.toDoubles() == q.tensor.toDoubles(), "\(p.name)") }
    }
}
