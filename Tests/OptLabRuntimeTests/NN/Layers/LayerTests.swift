import Testing
import CKernels
@testable import OptLabRuntime

/// The plain-loop definitions layers are checked against.
enum Naive {
    static func conv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride s: Int, pad p: Int) throws -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, k) = (w.shape[0], w.shape[2])
        let oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1
        var out: [Double] = []
        for img in 0..<n { for oc in 0..<o { for y in 0..<oh { for xo in 0..<ow {
            var acc = try b.value(at: [oc])
            for ci in 0..<c { for ki in 0..<k { for kj in 0..<k {
                let iy = y * s - p + ki, ix = xo * s - p + kj
                if iy >= 0 && iy < h && ix >= 0 && ix < wd {
                    acc += try x.value(at: [img, ci, iy, ix]) * w.value(at: [oc, ci, ki, kj])
                }
            } } }
            out.append(acc)
        } } } }
        return out
    }

    static func maxPool(_ x: Tensor, k: Int, s: Int) throws -> [Double] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out: [Double] = []
        for i in 0..<n { for ch in 0..<c { for y in 0..<((h - k) / s + 1) { for xo in 0..<((w - k) / s + 1) {
            var best = -Double.infinity
            for a in 0..<k { for b in 0..<k { best = Swift.max(best, try x.value(at: [i, ch, y * s + a, xo * s + b])) } }
            out.append(best)
        } } } }
        return out
    }
}

@Suite(.serialized) struct LayerTests {
    @Test func linearMatchesAHandComputation() throws {
        let l = try Linear(2, 3)
        try l.weight.copy(from: Tensor.from([1, 2, 3, 4, 5, 6], shape: [3, 2]))
        try l.bias!.copy(from: Tensor.from([1, 0, -1]))
        #expect(try l(Tensor.from([1, 1], shape: [1, 2])).toDoubles() == [4, 7, 10])
        #expect(l.summary == "Linear(2 -> 3)")
        #expect(throws: RuntimeError.self) { try l(Tensor.zeros([4, 5])) }
    }

    @Test func linearGradients() throws {
        try expectGradientsMatch([try f64([4, 3], seed: 1), try f64([5, 3], seed: 2), try f64([5], seed: 3)]) {
            try $0[0].linear(weight: $0[1], bias: $0[2])
        }
    }

    @Test func convolutionMatchesNaiveLoopsAcrossChunks() throws {
        let x = try f64([5, 2, 7, 6], seed: 4), w = try f64([3, 2, 3, 3], seed: 5), b = try f64([3], seed: 6)
        for (s, p) in [(1, 0), (1, 1), (2, 1), (1, 2), (3, 2), (2, 0)] {
            let want = try Naive.conv2d(x, w, b, stride: s, pad: p)
            expectClose(try x.conv2d(weight: w, bias: b, stride: s, padding: p).toDoubles(), want, tolerance: 1e-12)
            // Chunks of two images: the last chunk (one image) is partial.
            let saved = ConvGeometry.chunkBytes
            ConvGeometry.chunkBytes = 2 * 18 * 42 * 8
            defer { ConvGeometry.chunkBytes = saved }
            expectClose(try x.conv2d(weight: w, bias: b, stride: s, padding: p).toDoubles(), want, tolerance: 1e-12)
        }
    }

    @Test func convolutionGradientsIncludingPartialChunks() throws {
        let saved = ConvGeometry.chunkBytes
        ConvGeometry.chunkBytes = 1   // one image per chunk
        defer { ConvGeometry.chunkBytes = saved }
        for (s, p) in [(2, 1), (1, 1), (1, 0), (3, 2), (1, 2)] {
            try expectGradientsMatch([try f64([3, 2, 5, 4], seed: 7), try f64([2, 2, 3, 3], seed: 8), try f64([2], seed: 9)]) {
                try $0[0].conv2d(weight: $0[1], bias: $0[2], stride: s, padding: p)
            }
        }
    }

    @Test func maxPoolMatchesNaiveLoopsAndRoutesGradientsToWinners() throws {
        let x = try Tensor.from((0..<96).map { Double(($0 * 37) % 96) / 7 }, shape: [2, 3, 4, 4], dtype: .f64)
        expectClose(try x.maxPool2d(kernel: 2, stride: 2).toDoubles(), try Naive.maxPool(x, k: 2, s: 2), tolerance: 0)
        expectClose(try x.maxPool2d(kernel: 3, stride: 1).toDoubles(), try Naive.maxPool(x, k: 3, s: 1), tolerance: 0)
        try expectGradientsMatch([x]) { try $0[0].maxPool2d(kernel: 2, stride: 2) }
    }

    /// Ties and NaNs in max pooling: the first largest value of a window wins,
    /// or its first NaN; the gradient goes to that element alone. Against a
    /// plain loop, on values from {0, 1, 2} (ties everywhere) with NaNs.
    /// Widths 37 and 38 give 18 and 19 windows a row: one full vector of the
    /// 2×2 kernel and a partial one, with an odd column left out.
    @Test(arguments: [(2, 2, 8), (3, 1, 8), (2, 1, 8), (2, 2, 37), (2, 2, 38), (3, 2, 37)])
    func maxPoolTiesAndNaNsPickTheFirst(k: Int, s: Int, w: Int) throws {
        do {
            let (n, c, h) = (2, 3, 9)
            var values = (0..<(n * c * h * w)).map { Float(($0 * 7 + $0 / 5) % 3) }
            for i in stride(from: 5, to: values.count, by: 13) { values[i] = .nan }
            let x = try Tensor(shape: [n, c, h, w], values).requiringGrad()
            let y = try x.maxPool2d(kernel: k, stride: s)
            try y.sum().backward()
            let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1)
            var want = [Float](), wantGrad = [Float](repeating: 0, count: values.count)
            for plane in 0..<(n * c) {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var at = plane * h * w + oy * s * w + ox * s
                        scan: for ki in 0..<k {
                            for kj in 0..<k {
                                let i = plane * h * w + (oy * s + ki) * w + ox * s + kj
                                if values[at].isNaN { break scan }
                                if values[i].isNaN || values[i] > values[at] { at = i }
                            }
                        }
                        want.append(values[at])
                        wantGrad[at] += 1
                    }
                }
            }
            #expect(try [Float](y).map(\.bitPattern) == want.map(\.bitPattern), "k \(k), s \(s)")
            #expect(try [Float](x.grad!) == wantGrad, "k \(k), s \(s)")
        }
    }

    /// The 2×2 pooling kernel's two families (baseline loop, AVX-512) give
    /// the same maxima and winners bit for bit, ties and NaNs included.
    @Test func maxPoolKernelFamiliesAgree() throws {
        let (planes, h, w) = (5, 7, 45)   // 22 windows a row, an odd row and column left out
        var x: [Float] = (0..<(planes * h * w)).map { (i: Int) -> Float in Float((i * 11 + i / 3) % 4) - 1.5 }
        for i in stride(from: 3, to: x.count, by: 17) { x[i] = .nan }
        for i in stride(from: 8, to: x.count, by: 29) { x[i] = -.infinity }
        let windows = planes * (h / 2) * (w / 2)
        func run(_ level: Int32) -> ([UInt32], [Int32]) {
            var y = [Float](repeating: 0, count: windows), at = [Int32](repeating: -1, count: windows)
            optlab_maxpool2_f32_as(level, x, &y, &at, planes, h, w)
            return (y.map { $0.bitPattern }, at)
        }
        let (base, vector) = (run(0), run(2))
        #expect(base.0 == vector.0)
        #expect(base.1 == vector.1)
        // and the baseline is the plain loop's answer
        let t = try Tensor(shape: [1, planes, h, w], x)
        let pooled: [Float] = try [Float](t.maxPool2d(kernel: 2, stride: 2))
        #expect(pooled.map { $0.bitPattern } == base.0)
    }

    @Test func dropoutKeepsExpectationAndReplaysItsMask() throws {
        let g = Generator(seed: 11)
        let d = try Dropout(0.5, generator: g)
        let y = try d(Tensor.ones([100_000], dtype: .f64))
        #expect(Swift.abs(try y.mean().item() - 1) < 0.01)
        #expect(Set(y.toDoubles()).isSubset(of: [0, 2]))
        d.evaluate()
        #expect(try d(Tensor.ones([5])).toDoubles() == [1, 1, 1, 1, 1])
        d.train()
        // With the generator replayed, every pass draws the same mask: a valid gradient check.
        let saved = g.state
        try expectGradientsMatch([try f64([3, 4], seed: 12)]) { x in
            g.state = saved
            return try d(x[0]).mul(x[0])
        }
    }

    @Test func batchNormNormalisesAndHasTheRightGradients() throws {
        let bn = try BatchNorm(3, dtype: .f64)
        let x = try f64([50, 3], seed: 13).mul(4).add(2)
        let y = try bn(x)
        expectClose(try y.mean(dim: 0).toDoubles(), [0, 0, 0], tolerance: 1e-12, floor: 1)
        expectClose(try y.variance(dim: 0, correction: 0).toDoubles(), [1, 1, 1], tolerance: 1e-4)
        // Running statistics moved 10% of the way to the batch's.
        expectClose(bn.buffer(0).toDoubles(), try x.mean(dim: 0).mul(0.1).toDoubles(), tolerance: 1e-12)
        try expectGradientsMatch([try f64([6, 3], seed: 14)], tolerance: 1e-5) { try bn($0[0]) }
        let bn4 = try BatchNorm(2, dtype: .f64)
        try expectGradientsMatch([try f64([2, 2, 3, 3], seed: 15)], tolerance: 1e-5) { try bn4($0[0]) }
        bn.evaluate()
        let e = try bn(x)
        expectClose(e.toDoubles(), try x.sub(bn.buffer(0)).div(bn.buffer(1).add(1e-5).sqrt()).toDoubles(), tolerance: 1e-12)
    }

    @Test func maxoutIsTheMaxOfItsPieces() throws {
        let m = try Maxout(3, 2, pieces: 4)
        try m.to(.f64)
        let x = try f64([5, 3], seed: 16)
        let z = try x.linear(weight: m.parameter(0), bias: m.parameter(1)).reshape([5, 2, 4])
        expectClose(try m(x).toDoubles(), try z.max(dim: 2).toDoubles(), tolerance: 0)
        try expectGradientsMatch([x]) { try m($0[0]) }
    }

    @Test func sequentialNamesParametersAndPrintsADiagram() throws {
        let s = try Sequential([Linear(4, 8), ReLU(), Linear(8, 2)])
        #expect(s.namedParameters().map(\.name) == ["1.weight", "1.bias", "3.weight", "3.bias"])
        #expect(s.parameters().map { $0.name ?? "" } == ["1.weight", "1.bias", "3.weight", "3.bias"])
        #expect(s.parameterCount == 4 * 8 + 8 + 8 * 2 + 2)
        #expect(s.description.contains("(1) Linear(4 -> 8)  [40 params]"))
    }

    @Test func initialisationsHaveTheirStandardDeviations() throws {
        for (initialization, want) in [(Initialization.small, 0.01), (.xavier, (1.0 / 400).squareRoot()), (.kaiming, (2.0 / 400).squareRoot())] {
            // (a generator of its own: the default one is shared with tests running in parallel)
            let w = try initialization.weights([300, 400], fanIn: 400, dtype: .f32, generator: Generator(seed: 7))
            #expect(Swift.abs(try w.std().item() / want - 1) < 0.02, "\(initialization)")
        }
    }
}

/// A watched model records the passes that can be differentiated; an
/// evaluation pass leaves the last one (and keeps none of its own outputs).
@Suite struct WatchedPassTests {
    @Test func evaluationPassesAreNotRecorded() throws {
        let model = try Sequential([Linear(3, 4), ReLU(), Linear(4, 2)])
        model.watch()
        let x = try Tensor.randn([5, 3], generator: Generator(seed: 1))
        _ = try model(x)
        let recorded = try #require(model.lastActivations)
        #expect(recorded.count == 3 && recorded[0].shape == [5, 4])
        _ = try Tensor.withNoGrad { try model(Tensor.randn([1000, 3], generator: Generator(seed: 2))) }
        let after = try #require(model.lastActivations)
        #expect(after.count == 3 && zip(after, recorded).allSatisfy { $0 === $1 }, "the training pass is still the one recorded")
    }
}
