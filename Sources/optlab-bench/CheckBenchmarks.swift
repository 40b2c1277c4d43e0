import OptLabRuntime

/// The gradient check's cost: only sampled dimensions are perturbed.
enum CheckBenchmarks {
    static func run() throws -> [Row] {
        let g = Generator(seed: 1)
        let x = try Tensor.randn([5, 784], generator: g), y = try Tensor(int32: [1, 2, 3, 4, 5])
        let mlp = try Sequential([Linear(784, 256, initialization: .kaiming), ReLU(), Linear(256, 128, initialization: .kaiming), ReLU(), Linear(128, 10)])
        let t0 = now()
        let r1 = try GradCheck.run(mlp.parameters()) { try Loss.softmaxCrossEntropy(mlp(x), y) }
        let tMLP = now() - t0
        let images = try Tensor.randn([5, 1, 28, 28], generator: g)
        let conv = try Sequential([Conv2d(1, 8, kernel: 3, padding: 1), ReLU(), MaxPool2d(2), Conv2d(8, 16, kernel: 3, padding: 1), ReLU(),
                                   MaxPool2d(2), Flatten(), Linear(16 * 7 * 7, 10)])
        let t1 = now()
        let r2 = try GradCheck.run(conv.parameters()) { try Loss.softmaxCrossEntropy(conv(images), y) }
        let tConv = now() - t1
        return [
            Row(name: "check.grad, MLP 784-256-128-10, 10 dims/param (\(r1.ok ? "passed" : "FAILED"))", unit: "s", ours: tMLP,
                reference: nil, higherIsBetter: false),
            Row(name: "check.grad, convnet 2 conv + 1 fc, 10 dims/param (\(r2.ok ? "passed" : "FAILED"))", unit: "s", ours: tConv,
                reference: nil, higherIsBetter: false),
        ]
    }
}

/// The curvature measurements' cost on the Fashion-MNIST MLP (batch 1,000):
/// one Hessian-vector product against one gradient, and how many products
/// Lanczos needs for the top eigenvalue to 1e-3 (issue 37's bounds: ≤ 3× a
/// gradient, ≤ 30 products).
enum CurvatureBenchmarks {
    static func run() throws -> [Row] {
        let g = Generator(seed: 2)
        let x = try Tensor.randn([1000, 784], generator: g)
        let y = try Tensor(int32: (0..<1000).map { Int32($0 % 10) })
        let mlp = try Sequential([Linear(784, 256, initialization: .kaiming), ReLU(), Linear(256, 128, initialization: .kaiming), ReLU(), Linear(128, 10)])
        let params = mlp.parameters()
        let loss = { try Loss.softmaxCrossEntropy(mlp(x), y) }
        func median(_ f: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<7 { let t = now(); try f(); times.append(now() - t) }
            return times.sorted()[3]
        }
        let gradient = try median { for p in params { p.zeroGrad() }; try loss().backward() }
        let v = try params.map { try Tensor.randn($0.shape, dtype: .f64, generator: g) }
        let (product, forward, convergence) = try Hessian.measure(params, op: "bench", loss: loss) { h -> (Double, Double, String) in
            let t = try median { _ = try h.product(v) }
            h.forward = true
            _ = try h.product(v)   // (the centre's gradient, once)
            let tf = try median { _ = try h.product(v) }
            h.forward = false
            let reference = try h.top(1, iterations: 80, tolerance: 1e-9, seed: 5).eigenvalues[0]
            var reached = "not within 40"
            for k in stride(from: 5, through: 40, by: 5) {
                let l = try h.top(1, iterations: k, tolerance: 0, seed: 5).eigenvalues[0]
                if Swift.abs(l - reference) <= 1e-3 * Swift.abs(reference) { reached = "\(k)"; break }
            }
            return (t, tf, reached + String(format: " products (λ_max %.4g)", reference))
        }
        return [
            Row(name: "one gradient, MLP 784-256-128-10, batch 1000 (f32)", unit: "ms", ours: gradient * 1e3, reference: nil, higherIsBetter: false),
            Row(name: String(format: "one Hessian-vector product, same (two f64 gradients; %.2f× the gradient)", product / gradient), unit: "ms",
                ours: product * 1e3, reference: nil, higherIsBetter: false),
            Row(name: String(format: "one Hessian-vector product, forward difference (one f64 gradient; %.2f× the gradient)", forward / gradient), unit: "ms",
                ours: forward * 1e3, reference: nil, higherIsBetter: false),
            Row(name: "Lanczos to the top eigenvalue within 1e-3: " + convergence, unit: "products", ours: Double(Int(convergence.prefix { $0.isNumber }) ?? 0),
                reference: nil, higherIsBetter: false),
        ]
    }
}
