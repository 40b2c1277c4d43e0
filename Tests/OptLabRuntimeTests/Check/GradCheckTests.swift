import Testing
@testable import OptLabRuntime

/// Ops with deliberately broken backward passes.
enum Broken {
    /// y = 3x, backward says 6g: a gradient off by a factor of 2.
    static func doubled(_ x: Tensor) throws -> Tensor {
        let out = try Tensor.withNoGrad { try x.mul(3) }
        return Tensor.record("doubled", out, [x]) { g, _ in [try g.mul(6)] }
    }

    /// x·Wᵀ + b with dW transposed (W square), or the bias gradient left out.
    static func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor, transposeWeightGrad: Bool, dropBiasGrad: Bool) throws -> Tensor {
        let out = try Tensor.withNoGrad { try x.matmul(w.t()).add(b) }
        return Tensor.record("broken_linear", out, [x, w, b]) { g, _ in
            let dw = try g.t().matmul(x)
            return [try g.matmul(w), transposeWeightGrad ? try dw.t() : dw, dropBiasGrad ? nil : try g.sum(dim: 0)]
        }
    }

    /// relu whose backward lets the gradient through negative inputs too.
    static func leakyBackwardRelu(_ x: Tensor) throws -> Tensor {
        let out = try Tensor.withNoGrad { try x.relu() }
        return Tensor.record("relu_passthrough", out, [x]) { g, _ in [g] }
    }

    /// Inverted dropout whose backward draws a new mask instead of reusing its own.
    static func dropoutWrongMask(_ x: Tensor, p: Double) throws -> Tensor {
        let mask = try Tensor.bernoulli(x.shape, p: 1 - p, dtype: x.dtype).div(1 - p)
        let out = try Tensor.withNoGrad { try x.mul(mask) }
        return Tensor.record("dropout_wrong_mask", out, [x]) { g, _ in
            [try g.mul(Tensor.bernoulli(x.shape, p: 1 - p, dtype: x.dtype, generator: Generator(seed: 77)).div(1 - p))]
        }
    }
}

@Suite(.serialized) struct GradCheckTests {
    let x = try! Tensor.randn([3, 4], dtype: .f64, generator: Generator(seed: 1))
    let y = try! Tensor(int32: [0, 2, 1])

    func params(_ shapes: [[Int]], names: [String]) throws -> [Tensor] {
        try zip(shapes, names).enumerated().map { k, sn in
            let t = try Tensor.randn(sn.0, std: 0.5, generator: Generator(seed: UInt64(10 + k)))
            t.name = sn.1
            return try t.requiringGrad()
        }
    }

    func row(_ r: GradCheck.Result, _ name: String) -> GradCheck.Row? { r.rows.first { $0.name == name } }

    @Test func aCorrectTwoLayerNetworkChecksOutInF32() throws {
        let p = try params([[5, 4], [5], [3, 5], [3]], names: ["W1", "b1", "W2", "b2"])
        let r = try GradCheck.run(p) {
            try x.linear(weight: p[0], bias: p[1]).tanh().linear(weight: p[2], bias: p[3]).softmaxCrossEntropy(labels: y)
        }
        #expect(r.ok, "\(r)")
        #expect(r.worst < 1e-7)
        #expect(p.allSatisfy { $0.dtype == .f32 }, "parameters come back in f32")
        #expect(p.allSatisfy { $0.grad == nil }, "gradients come back as they were")
    }

    @Test func aGradientOffByTwoIsCaught() throws {
        let p = try params([[3, 4]], names: ["W"])
        let r = try GradCheck.run(p) { try Broken.doubled(x.matmul(p[0].t())).softmaxCrossEntropy(labels: y) }
        #expect(!r.ok)
        #expect(row(r, "W")?.verdict == .wrong)
        #expect(Swift.abs((row(r, "W")?.analytic ?? 0) / (row(r, "W")?.numerical ?? 1) - 2) < 1e-6, "analytic is twice the numerical")
    }

    @Test func aTransposedWeightGradientIsCaughtAndTheBiasStillPasses() throws {
        let p = try params([[4, 4], [4]], names: ["W", "b"])
        let r = try GradCheck.run(p) {
            try Broken.linear(x, p[0], p[1], transposeWeightGrad: true, dropBiasGrad: false).softmaxCrossEntropy(labels: y)
        }
        #expect(!r.ok)
        #expect(row(r, "W")?.verdict == .wrong)
        #expect(row(r, "b")?.verdict == .good)
    }

    @Test func aMissingBiasGradientIsCaught() throws {
        let p = try params([[4, 4], [4]], names: ["W", "b"])
        let r = try GradCheck.run(p) {
            try Broken.linear(x, p[0], p[1], transposeWeightGrad: false, dropBiasGrad: true).softmaxCrossEntropy(labels: y)
        }
        #expect(!r.ok)
        #expect(row(r, "b")?.verdict == .wrong)
        #expect(row(r, "W")?.verdict == .good)
    }

    @Test func aReluBackwardLettingNegativesThroughIsCaught() throws {
        let p = try params([[6, 4], [3, 6]], names: ["W1", "W2"])
        let r = try GradCheck.run(p) {
            try Broken.leakyBackwardRelu(x.matmul(p[0].t())).matmul(p[1].t()).softmaxCrossEntropy(labels: y)
        }
        #expect(!r.ok)
        #expect(row(r, "W1")?.verdict == .wrong)
    }

    @Test func aDropoutBackwardWithTheWrongMaskIsCaughtAndTheRightOnePasses() throws {
        let p = try params([[6, 4], [3, 6]], names: ["W1", "W2"])
        let bad = try GradCheck.run(p) {
            try Broken.dropoutWrongMask(x.matmul(p[0].t()).tanh(), p: 0.5).matmul(p[1].t()).softmaxCrossEntropy(labels: y)
        }
        #expect(!bad.ok)
        #expect(row(bad, "W1")?.verdict == .wrong)
        let dropout = try Dropout(0.5)
        let good = try GradCheck.run(p) { try dropout(x.matmul(p[0].t()).tanh()).matmul(p[1].t()).softmaxCrossEntropy(labels: y) }
        #expect(good.ok, "the seeded mask is replayed for f(x+h), f(x-h) and the analytic pass:\n\(good)")
    }

    @Test func everyCorrectLayerAndLossPasses() throws {
        let images = try Tensor.randn([2, 1, 6, 6], dtype: .f64, generator: Generator(seed: 3))
        let model = try Sequential([Conv2d(1, 2, kernel: 3, padding: 1), BatchNorm(2), ReLU(), MaxPool2d(2), Flatten(),
                                    Maxout(18, 4, pieces: 2), LeakyReLU(slope: 0.1), Linear(4, 3)])
        let labels = try Tensor(int32: [1, 2])
        for loss in [Loss.softmaxCrossEntropy, .multiclassSVM(margin: 1)] {
            let r = try GradCheck.run(model.parameters()) { try loss(model(images), labels) }
            #expect(r.ok, "\(loss.name):\n\(r)")
        }
    }

    @Test func reluKinksWithinHAreReportedNotFailed() throws {
        // One hidden unit's pre-activation sits at 3e-6 from zero, closer than h = 1e-5.
        let xs = try Tensor.from([1, 0, 0, 1], shape: [2, 2], dtype: .f64)
        let w1 = try Tensor.from([3e-6, 0.5, -0.7, 0.2], shape: [2, 2], dtype: .f64)
        w1.name = "W1"
        try w1.requiringGrad()
        let w2 = try Tensor.from([0.3, -0.4, 0.8, 0.1], shape: [2, 2], dtype: .f64)
        w2.name = "W2"
        try w2.requiringGrad()
        let labels = try Tensor(int32: [0, 1])
        let r = try GradCheck.run([w1, w2]) { try xs.matmul(w1.t()).relu().matmul(w2.t()).softmaxCrossEntropy(labels: labels) }
        #expect((row(r, "W1")?.kinks ?? 0) >= 1, "\(r)")
        #expect(r.ok, "a crossed kink is not a failure:\n\(r)")
        #expect(r.objectiveHasKinks)
    }

    @Test func theHSweepFindsAGoodStep() throws {
        let p = try params([[3, 4]], names: ["W"])
        var o = GradCheck.Options()
        o.h = nil
        let r = try GradCheck.run(p, options: o) { try x.matmul(p[0].t()).softmaxCrossEntropy(labels: y) }
        #expect(r.sweep.count == 9)
        #expect(r.sweep.first!.worst > r.sweep.min { $0.worst < $1.worst }!.worst, "h = 1e-2 is worse than the best")
        #expect(r.ok)
    }

    @Test func burnInTrainsFirstAndTheModelIsLeftUntouched() throws {
        let model = try Linear(4, 3)
        let before = model.weight.toDoubles()
        var o = GradCheck.Options()
        o.burnIn = (5, try Optimizer(model.parameters(), rule: .sgd, learningRate: 0.5))
        let r = try GradCheck.run(model.parameters(), options: o) { try model(x).softmaxCrossEntropy(labels: y) }
        #expect(r.ok)
        #expect(model.weight.toDoubles() == before)
        #expect(model.weight.dtype == .f32)
    }

    @Test func sanityChecks() throws {
        let d = try Datasets.spiral(classes: 3, perClass: 20, seed: 1)
        let model = try Sequential([Linear(2, 50, initialization: .small), ReLU(), Linear(50, 3, initialization: .small)])
        let loss: SanityCheck.LossFunction = { try Loss.softmaxCrossEntropy($0, $1) }
        let initial = try SanityCheck.initialLoss(model, loss: loss, kind: .softmaxCrossEntropy, x: d.inputs, y: d.labels, classes: 3)
        #expect(initial.passed, "\(initial)")
        let big = try Sequential([Linear(2, 3, initialization: .small)])
        try (big.children[0].module as? Linear)?.weight.copy(from: Tensor.from([40, 0, 0, 40, -40, -40], shape: [3, 2]))
        #expect(!(try SanityCheck.initialLoss(big, loss: loss, kind: .softmaxCrossEntropy, x: d.inputs, y: d.labels, classes: 3).passed))
        #expect(try SanityCheck.regularization(model, loss: loss, x: d.inputs, y: d.labels).passed)
        let twenty = try d.take(20)
        let over = try SanityCheck.overfit(try Sequential([Linear(2, 100, initialization: .kaiming), ReLU(), Linear(100, 3)]),
                                           loss: loss, x: twenty.inputs, y: twenty.labels)
        #expect(over.passed, "\(over)")
        let (data, reg, notes) = try SanityCheck.model(model, loss: loss, x: twenty.inputs.narrow(dim: 0, start: 0, length: 3),
                                                       y: twenty.labels.narrow(dim: 0, start: 0, length: 3), reg: 1e3)
        #expect(data.ok && reg.ok)
        #expect(notes.contains { $0.contains("would mask a wrong data gradient") })
    }
}
