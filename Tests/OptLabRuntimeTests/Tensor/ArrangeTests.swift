import Testing
@testable import OptLabRuntime

/// stack … masked_fill against numpy in f64, with gradients against finite
/// differences, and the creation and sampling functions' values, ranges,
/// replay from a seed and refusals.
@Suite struct ArrangeTests {
    @Test func shapeOpsMatchNumpy() throws {
        let x = try f64([3, 4, 5], seed: 31), y = try f64([3, 4, 5], seed: 32)
        let ref = try NumpyOracle.run("""
        out = dict(stack=np.stack([x, y], axis=1), flip=np.flip(x, axis=(0, 2)), roll=np.roll(x, 2, axis=2),
                   rollflat=np.roll(x, -7), tril=np.tril(x, -1), triu=np.triu(x, 2), rep=np.repeat(x, 3, axis=1),
                   masked=np.where(x > 0.5, -1.25, x), chunk=np.array_split(x, 2, axis=2)[1], unbind=x[:, 2, :])
        """, ["x": x, "y": y])
        try expectClose(Tensor.stack([x, y], dim: 1).toDoubles(), ref["stack"]!.toDoubles(), tolerance: 0)
        #expect(try Tensor.stack([x, y], dim: 1).shape == [3, 2, 4, 5])
        try expectClose(x.flip(dims: [0, -1]).toDoubles(), ref["flip"]!.toDoubles(), tolerance: 0)
        try expectClose(x.roll(2, dim: 2).toDoubles(), ref["roll"]!.toDoubles(), tolerance: 0)
        try expectClose(x.roll(-7).toDoubles(), ref["rollflat"]!.toDoubles(), tolerance: 0)
        try expectClose(x.tril(-1).toDoubles(), ref["tril"]!.toDoubles(), tolerance: 0)
        try expectClose(x.triu(2).toDoubles(), ref["triu"]!.toDoubles(), tolerance: 0)
        try expectClose(x.repeatInterleave(3, dim: 1).toDoubles(), ref["rep"]!.toDoubles(), tolerance: 0)
        try expectClose(x.maskedFill(x.compare(.gt, .scalar(0.5, dtype: .f64)), -1.25).toDoubles(), ref["masked"]!.toDoubles(), tolerance: 0)
        // torch.chunk(x, 2, dim=2) of 5 is [3, 2]; numpy's array_split is [3, 2] too
        let chunks = try x.chunk(2, dim: 2)
        #expect(chunks.map { $0.shape[2] } == [3, 2])
        try expectClose(chunks[1].toDoubles(), ref["chunk"]!.toDoubles(), tolerance: 0)
        #expect(try x.chunk(4, dim: 2).map { $0.shape[2] } == [2, 2, 1], "⌈5/4⌉ = 2: three pieces, as torch.chunk")
        #expect(try x.split(sizes: [1, 3], dim: 1).map { $0.shape } == [[3, 1, 5], [3, 3, 5]])
        #expect(try x.split(size: 2, dim: 2).map { $0.shape[2] } == [2, 2, 1])
        try expectClose(x.unbind(dim: 1)[2].toDoubles(), ref["unbind"]!.toDoubles(), tolerance: 0)
        #expect(try x.unbind(dim: 1).count == 4)
    }

    @Test func trilKeepsInfinitiesOutOfTheProduct() throws {
        let x = try Tensor.full([3, 3], -.infinity, dtype: .f64)
        let lower = try x.tril().toDoubles()
        #expect(lower.filter { $0 == 0 }.count == 3 && !lower.contains { $0.isNaN })
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let x = try f64([3, 4], seed: 33), y = try f64([3, 4], seed: 34)
        try expectGradientsMatch([x, y]) { try Tensor.stack([$0[0], $0[1]], dim: 2) }
        try expectGradientsMatch([x]) { try $0[0].flip(dims: [0, 1]) }
        try expectGradientsMatch([x]) { try $0[0].roll(3, dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].tril(1) }
        try expectGradientsMatch([x]) { try $0[0].triu(-1) }
        try expectGradientsMatch([x]) { try $0[0].repeatInterleave(2, dim: 0) }
        try expectGradientsMatch([x]) { try $0[0].maskedFill($0[0].compare(.gt, .scalar(0, dtype: .f64)).detach(), 7) }
        try expectGradientsMatch([x]) { try Tensor.concatenate($0[0].chunk(3, dim: 1).reversed(), dim: 1) }
        try expectGradientsMatch([x]) { try Tensor.stack($0[0].unbind(dim: 0).reversed(), dim: 0) }
    }

    @Test func refusals() throws {
        let x = try f64([2, 3], seed: 35)
        #expect(throws: RuntimeError.self) { try Tensor.stack([x, try f64([3, 2], seed: 1)]) }
        #expect(throws: RuntimeError.self) { try x.split(sizes: [1, 1], dim: 1) }
        #expect(throws: RuntimeError.self) { try x.chunk(0) }
        #expect(throws: RuntimeError.self) { try x.flip(dims: [2]) }
        #expect(throws: RuntimeError.self) { try f64([3], seed: 1).tril() }
        #expect(throws: RuntimeError.self) { try x.repeatInterleave(-1, dim: 0) }
    }

    @Test func spacedValues() throws {
        let ref = try NumpyOracle.run("out = dict(lin=np.linspace(-1.5, 2.25, 7), log=np.logspace(-4, -1, 4))", [:])
        let lin = try Tensor.linspace(-1.5, 2.25, steps: 7, dtype: .f64).toDoubles()
        expectClose(lin, ref["lin"]!.toDoubles(), tolerance: 1e-15)
        #expect(lin.first == -1.5 && lin.last == 2.25, "both ends exact")
        expectClose(try Tensor.logspace(-4, -1, steps: 4, dtype: .f64).toDoubles(), ref["log"]!.toDoubles(), tolerance: 1e-15)
        #expect(try Tensor.linspace(3, 7, steps: 1).toDoubles() == [3] && Tensor.linspace(3, 7, steps: 0).count == 0)
    }

    @Test func randomIntegersPermutationsAndDrawsReplayFromTheSeed() throws {
        let g1 = Generator(seed: 5), g2 = Generator(seed: 5)
        let a = try Tensor.randint(-3, 4, [20_000], generator: g1).toDoubles()
        #expect(a == (try Tensor.randint(-3, 4, [20_000], generator: g2).toDoubles()), "the same seed, the same values")
        #expect(Set(a) == Set((-3...3).map(Double.init)), "every value of [-3, 4), none outside")
        for v in -3...3 { #expect(Swift.abs(Double(a.filter { $0 == Double(v) }.count) - 20_000.0 / 7) < 200, "value \(v) about 1/7 of the time") }
        #expect(throws: RuntimeError.self) { try Tensor.randint(0, Int(Int32.max) + 2, [1]) }
        #expect(throws: RuntimeError.self) { try Tensor.randint(Int.min, Int.max, [1], dtype: .f64) }
        #expect(throws: RuntimeError.self) { try Tensor.randint(2, 2, [1]) }

        let p = try Tensor.randperm(50, generator: g1).toDoubles()
        #expect(p.sorted() == (1...50).map(Double.init) && p != (1...50).map(Double.init))

        let w = try Tensor.from([0.1, 0, 0.6, 0.3], dtype: .f64)
        let draws = try w.multinomial(30_000, replacement: true, generator: g1).toDoubles()
        #expect(!draws.contains(2), "a zero weight is never drawn")
        for (k, share) in [(1, 0.1), (3, 0.6), (4, 0.3)] {
            #expect(Swift.abs(Double(draws.filter { $0 == Double(k) }.count) / 30_000 - share) < 0.015)
        }
        let distinct = try w.multinomial(3, generator: g1).toDoubles()
        #expect(Set(distinct) == [1, 3, 4], "without replacement: each of the three non-zero categories once")
        #expect(throws: RuntimeError.self) { try w.multinomial(4) }
        #expect(throws: RuntimeError.self) { try Tensor.from([-1, 1], dtype: .f64).multinomial(1) }
    }
}
