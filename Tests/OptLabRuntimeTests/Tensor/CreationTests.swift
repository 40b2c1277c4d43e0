import Testing
@testable import OptLabRuntime

@Suite struct CreationTests {
    @Test func filledAndRangedTensors() throws {
        #expect(try Tensor.zeros([2, 2]).toDoubles() == [0, 0, 0, 0])
        #expect(try Tensor.full([3], 2.5, dtype: .f64).toDoubles() == [2.5, 2.5, 2.5])
        #expect(try Tensor.arange(0, 1, step: 0.25).toDoubles() == [0, 0.25, 0.5, 0.75])
        #expect(try Tensor.arange(5, 0, step: -2, dtype: .i32).toInt32s() == [5, 3, 1])
        #expect(try Tensor.eye(3).toDoubles() == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(try Tensor([1.5, 2.5] as [Double], shape: [2, 1]).shape == [2, 1])
        #expect(Tensor.scalar(3).shape == [])
        #expect(try Tensor.scalar(3).item() == 3)
    }

    @Test func badShapesAreErrors() throws {
        #expect(throws: RuntimeError(.shape, "full", "shape [2,-1] has a negative size")) { try Tensor.zeros([2, -1]) }
        #expect(throws: RuntimeError.self) { try Tensor.zeros([1 << 31, 1 << 31, 4]) }
        #expect(throws: RuntimeError.self) { try Tensor.zeros(Array(repeating: 1, count: 9)) }
        #expect(throws: RuntimeError.self) { try Tensor([Float(1), 2, 3], shape: [2, 2]) }
        #expect(throws: RuntimeError.self) { try Tensor.arange(0, 1, step: 0) }
        #expect(throws: RuntimeError.self) { try Tensor.bernoulli([2], p: 1.5) }
        #expect(throws: RuntimeError.self) { try Tensor.zeros([2]).item() }
    }

    @Test func seededGeneratorIsReproducibleAndReplayable() throws {
        let g = Generator(seed: 42)
        let a = try Tensor.randn([1000], generator: g)
        let saved = g.state
        let b = try Tensor.randn([7], dtype: .f64, generator: g)  // odd count: a spare normal is left in the state
        let c = try Tensor.rand([5], generator: g)
        g.state = saved
        #expect(try Tensor.randn([7], dtype: .f64, generator: g).toDoubles() == b.toDoubles())
        #expect(try Tensor.rand([5], generator: g).toDoubles() == c.toDoubles())
        #expect(try Tensor.randn([1000], generator: Generator(seed: 42)).toDoubles() == a.toDoubles())
        #expect(try Tensor.randn([1000], generator: Generator(seed: 43)).toDoubles() != a.toDoubles())
    }

    @Test func randomValuesHaveTheRightMoments() throws {
        let g = Generator(seed: 7)
        let n = try Tensor.randn([200_000], dtype: .f64, generator: g)
        #expect(Swift.abs(try n.mean().item()) < 0.01)
        #expect(Swift.abs(try n.std().item() - 1) < 0.01)
        let u = try Tensor.rand([200_000], dtype: .f64, generator: g)
        #expect(Swift.abs(try u.mean().item() - 0.5) < 0.005)
        #expect(try u.min().item() >= 0 && u.max().item() < 1)
        let b = try Tensor.bernoulli([200_000], p: 0.3, generator: g)
        #expect(Swift.abs(try b.mean().item() - 0.3) < 0.005)
        let p = g.permutation(1000)
        #expect(p.sorted() == Array(0..<1000) && p != Array(0..<1000))
    }
}
