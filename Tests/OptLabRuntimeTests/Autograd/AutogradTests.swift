import Testing
@testable import OptLabRuntime

@Suite struct AutogradTests {
    @Test func gradientsAccumulateAcrossUsesAndCalls() throws {
        let x = try Tensor.from([2, 3], dtype: .f64).requiringGrad()
        let y = try x.mul(x).add(x).sum()  // d/dx = 2x + 1
        try y.backward()
        #expect(x.grad?.toDoubles() == [5, 7])
        try x.mul(3).sum().backward()       // accumulates: + 3
        #expect(x.grad?.toDoubles() == [8, 10])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test func addGivesEachLeafItsOwnGradientStorage() throws {
        let a = try Tensor.zeros([3], dtype: .f64).requiringGrad()
        let b = try Tensor.zeros([3], dtype: .f64).requiringGrad()
        try a.reshape([3, 1]).reshape([3]).add(b).sum().backward()
        try a.grad?.addInPlace(Tensor.ones([3], dtype: .f64))
        #expect(b.grad?.toDoubles() == [1, 1, 1], "changing a.grad in place must not change b.grad")
        #expect(a.grad?.toDoubles() == [2, 2, 2])
    }

    @Test func secondBackwardThroughAFreedGraphIsAnError() throws {
        let w = try Tensor.ones([2], dtype: .f64).requiringGrad()
        let loss = try w.exp().sum()
        try loss.backward()
        #expect(throws: RuntimeError(.autograd, "backward", "the graph through 'sum' was already freed by an earlier backward(); pass retain_graph the first time to go through it twice")) {
            try loss.backward()
        }
        let kept = try w.exp().sum()
        try kept.backward(retainGraph: true)
        try kept.backward()
        expectClose(w.grad!.toDoubles(), [3 * 2.718281828459045, 3 * 2.718281828459045], tolerance: 1e-15)
    }

    @Test func backwardErrors() throws {
        #expect(throws: RuntimeError.self) { try Tensor.ones([2]).sum().backward() }
        let w = try Tensor.ones([2, 2]).requiringGrad()
        #expect(throws: RuntimeError(.autograd, "backward", "output has shape [2,2]; call it on a one-element loss or pass a gradient of that shape")) {
            try w.mul(2).backward()
        }
        #expect(throws: RuntimeError.self) { try w.mul(2).backward(Tensor.ones([3])) }
        #expect(throws: RuntimeError.self) { try Tensor(int32: [1]).requiringGrad() }
    }

    @Test func explicitOutputGradient() throws {
        let w = try Tensor.from([1, 2], dtype: .f64).requiringGrad()
        try w.mul(w).backward(Tensor.from([10, 100], dtype: .f64))
        #expect(w.grad?.toDoubles() == [20, 400])
    }

    @Test func noGradScopeRecordsNothing() throws {
        let w = try Tensor.ones([2]).requiringGrad()
        let y = try Tensor.withNoGrad { try w.mul(2) }
        #expect(!y.requiresGrad && y.isLeaf)
        #expect(w.detach().requiresGrad == false)
        #expect(GradMode.isEnabled)
    }

    @Test func aDeepGraphDoesNotExhaustTheStack() throws {
        let w = try Tensor.scalar(1, dtype: .f64).requiringGrad()
        var y = w
        for _ in 0..<100_000 { y = try y.mul(1.0) }
        try y.backward()
        #expect(try w.grad?.item() == 1)
    }

    @Test func gradientFlowsAcrossDtypes() throws {
        let w = try Tensor.ones([2], dtype: .f32).requiringGrad()
        try w.to(.f64).mul(Tensor.from([3, 4], dtype: .f64)).sum().backward()
        #expect(w.grad?.dtype == .f32)
        #expect(w.grad?.toDoubles() == [3, 4])
    }

    @Test func anMLPStepMatchesFiniteDifferences() throws {
        let x = try f64([5, 4], seed: 60), y = try Tensor(int32: [0, 2, 1, 2, 0])
        let w1 = try f64([4, 6], seed: 61).mul(0.5), b1 = try f64([6], seed: 62)
        let w2 = try f64([6, 3], seed: 63).mul(0.5), b2 = try f64([3], seed: 64)
        try expectGradientsMatch([w1, b1, w2, b2], tolerance: 1e-5) { p in
            try x.matmul(p[0]).add(p[1]).tanh().matmul(p[2]).add(p[3]).softmaxCrossEntropy(labels: y)
        }
    }
}
