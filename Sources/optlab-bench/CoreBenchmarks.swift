import OptLabRuntime

/// The runtime-core rows: GEMM, elementwise, fused loss, one MLP step.
enum CoreBenchmarks {
    static let numpyScript = """
    rng = np.random.default_rng(0)
    for n in (256, 1024, 2048):
        a = rng.standard_normal((n, n), dtype=np.float32); b = rng.standard_normal((n, n), dtype=np.float32)
        report(f'sgemm{n}', per_call(lambda: a @ b, max(1, int(2e9 / (2 * n ** 3)))))
    x = rng.standard_normal(1 << 20, dtype=np.float32); y = rng.standard_normal(1 << 20, dtype=np.float32)
    report('add1M', per_call(lambda: x + y, 200)); report('mul1M', per_call(lambda: x * y, 200))
    s = rng.standard_normal((256, 10), dtype=np.float32); lab = rng.integers(0, 10, 256)
    def ce():
        m = s - s.max(1, keepdims=True); e = np.exp(m); p = e / e.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(256), lab]).mean()
        d = p.copy(); d[np.arange(256), lab] -= 1; d /= 256
        return loss, d
    report('ce256x10', per_call(ce, 2000))
    \(numpyMLP)
    V = [np.zeros_like(p) for p in P]
    def mlp(): return forward_backward()[0]
    report('mlp_step', per_call(mlp, 50))
    """

    /// The CS231n-style MLP in numpy: parameters P, and forward_backward()
    /// returning the loss and the gradients (shared by the step benchmarks).
    static let numpyMLP = """
    X = rng.standard_normal((256, 784), dtype=np.float32); lab = rng.integers(0, 10, 256)
    P = [(rng.standard_normal((784, 256)) * 0.05).astype(np.float32), np.zeros(256, np.float32),
         (rng.standard_normal((256, 128)) * 0.05).astype(np.float32), np.zeros(128, np.float32),
         (rng.standard_normal((128, 10)) * 0.05).astype(np.float32), np.zeros(10, np.float32)]
    def forward_backward():
        W1, b1, W2, b2, W3, b3 = P
        h1 = np.maximum(0, X @ W1 + b1); h2 = np.maximum(0, h1 @ W2 + b2); sc = h2 @ W3 + b3
        m = sc - sc.max(1, keepdims=True); e = np.exp(m); p = e / e.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(256), lab]).mean()
        d = p; d[np.arange(256), lab] -= 1; d /= 256
        dW3 = h2.T @ d; db3 = d.sum(0); dh2 = d @ W3.T; dh2[h2 <= 0] = 0
        dW2 = h1.T @ dh2; db2 = dh2.sum(0); dh1 = dh2 @ W2.T; dh1[h1 <= 0] = 0
        dW1 = X.T @ dh1; db1 = dh1.sum(0)
        return loss, (dW1, db1, dW2, db2, dW3, db3)
    """

    static func run() throws -> [Row] {
        let g = Generator(seed: 0)
        var rows: [Row] = []
        let ref = NumpyReference.run(numpyScript)

        for n in [256, 1024, 2048] {
            let a = try Tensor.randn([n, n], generator: g), b = try Tensor.randn([n, n], generator: g)
            let flops = 2 * Double(n) * Double(n) * Double(n)
            let t = try secondsPerCall(inner: Swift.max(1, Int(2e9 / flops))) { _ = try a.matmul(b) }
            rows.append(Row(name: "sgemm \(n)×\(n)", unit: "GFLOPS", ours: flops / t / 1e9,
                            reference: ref["sgemm\(n)"].map { flops / $0 / 1e9 }, higherIsBetter: true))
        }

        let x = try Tensor.randn([1 << 20], generator: g), y = try Tensor.randn([1 << 20], generator: g)
        let bytes = 3.0 * 4 * Double(1 << 20)
        let tAdd = try secondsPerCall(inner: 200) { _ = try x.add(y) }
        rows.append(Row(name: "add, 1M f32", unit: "GB/s", ours: bytes / tAdd / 1e9,
                        reference: ref["add1M"].map { bytes / $0 / 1e9 }, higherIsBetter: true))
        let tMul = try secondsPerCall(inner: 200) { _ = try x.mul(y) }
        rows.append(Row(name: "mul, 1M f32", unit: "GB/s", ours: bytes / tMul / 1e9,
                        reference: ref["mul1M"].map { bytes / $0 / 1e9 }, higherIsBetter: true))

        let s = try Tensor.randn([256, 10], generator: g)
        let labels = try Tensor(int32: (0..<256).map { _ in Int32(g.below(10)) })
        let tCE = try secondsPerCall(inner: 2000) {
            let p = try s.detach().requiringGrad()
            try p.softmaxCrossEntropy(labels: labels).backward()
        }
        rows.append(Row(name: "softmax-CE fwd+bwd 256×10", unit: "µs", ours: tCE * 1e6,
                        reference: ref["ce256x10"].map { $0 * 1e6 }, higherIsBetter: false))

        let mlp = try MLPStep(generator: g)
        let tMLP = try secondsPerCall(inner: 50) { try mlp.step() }
        rows.append(Row(name: "MLP 784-256-128-10 fwd+bwd, batch 256", unit: "ms", ours: tMLP * 1e3,
                        reference: ref["mlp_step"].map { $0 * 1e3 }, higherIsBetter: false))
        return rows
    }
}

/// One forward and backward pass of a 784-256-128-10 ReLU MLP, written
/// directly against the Swift API (autograd, not hand-written gradients).
struct MLPStep {
    let x: Tensor, labels: Tensor
    let params: [Tensor]

    init(generator g: Generator) throws {
        x = try Tensor.randn([256, 784], generator: g)
        labels = try Tensor(int32: (0..<256).map { _ in Int32(g.below(10)) })
        params = try [
            Tensor.randn([784, 256], std: 0.05, generator: g), Tensor.zeros([256]),
            Tensor.randn([256, 128], std: 0.05, generator: g), Tensor.zeros([128]),
            Tensor.randn([128, 10], std: 0.05, generator: g), Tensor.zeros([10]),
        ].map { try $0.requiringGrad() }
    }

    func step() throws {
        for p in params { p.zeroGrad() }
        let h1 = try x.matmul(params[0]).add(params[1]).relu()
        let h2 = try h1.matmul(params[2]).add(params[3]).relu()
        let loss = try h2.matmul(params[4]).add(params[5]).softmaxCrossEntropy(labels: labels)
        try loss.backward()
    }
}
