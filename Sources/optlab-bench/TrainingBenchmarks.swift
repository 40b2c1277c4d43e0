import OptLabLua
import OptLabRuntime

/// Training-loop rows: a full MLP step from Lua, and the optimizer update.
enum TrainingBenchmarks {
    static let numpyScript = """
    rng = np.random.default_rng(0)
    \(CoreBenchmarks.numpyMLP)
    V = [np.zeros_like(p) for p in P]
    def train_step():  # CS231n-style forward, backward, and a momentum update
        loss, grads = forward_backward()
        for i, g in enumerate(grads):
            V[i] *= 0.9; V[i] -= 0.01 * g; P[i] += V[i]
        return loss
    report('mlp_train', per_call(train_step, 50))
    x = rng.standard_normal(1 << 20, dtype=np.float32); g = rng.standard_normal(1 << 20, dtype=np.float32)
    m = np.zeros_like(x); v = np.zeros_like(x); t = [0]
    def adam():
        t[0] += 1
        m[:] = 0.9 * m + 0.1 * g; v[:] = 0.999 * v + 0.001 * (g * g)
        x[:] -= 1e-3 * (m / (1 - 0.9 ** t[0])) / (np.sqrt(v / (1 - 0.999 ** t[0])) + 1e-8)
    report('adam1M', per_call(adam, 100))
    """

    static func run() throws -> [Row] {
        let ref = NumpyReference.run(numpyScript)
        let vm = try LuaVM()
        try vm.run(code: """
        tensor.seed(0)
        X = tensor.randn{256, 784}; Y = tensor.from((function() local t = {} for i = 1, 256 do t[i] = (i % 10) + 1 end return t end)(), "i32")
        model = nn.Sequential{nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)}
        opt = optim.SGD(model, {lr = 0.01, momentum = 0.9})
        loss_fn = nn.SoftmaxCrossEntropy()
        """)
        let step = try LuaBenchmarks.luaPerCall(vm, setup: "", body: """
        opt:zero_grad(); local loss = loss_fn(model(X), Y); loss:backward(); opt:step()
        """, iterations: 50)

        let g = Generator(seed: 1)
        let p = try Tensor.randn([1 << 20], generator: g).requiringGrad()
        p.grad = try Tensor.randn([1 << 20], generator: g)
        let adam = try Optimizer([p], rule: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8), learningRate: 1e-3)
        let tAdam = try secondsPerCall(inner: 100) { try adam.step() }
        return [try probeCost(vm)] + [
            Row(name: "Lua training step, MLP 784-256-128-10, batch 256", unit: "ms", ours: step * 1e3,
                reference: ref["mlp_train"].map { $0 * 1e3 }, higherIsBetter: false),
            Row(name: "Adam step, 1M f32 parameters", unit: "ms", ours: tAdam * 1e3,
                reference: ref["adam1M"].map { $0 * 1e3 }, higherIsBetter: false),
        ]
    }

    /// What logging every probe on every step costs: train.fit on the MLP
    /// (Adam, batch 256, 40 steps, a run folder) with probes = true against
    /// the same without, 15 interleaved pairs (7 pairs of 20 steps moved the
    /// median by ±4% from run to run on these shared cores). The bound: ≤ 5%.
    static func probeCost(_ vm: LuaVM) throws -> Row {
        try vm.run(code: """
        tensor.seed(1)
        PX = tensor.randn{5120, 784}; PY = tensor.from((function() local t = {} for i = 1, 5120 do t[i] = (i % 10) + 1 end return t end)(), "i32")
        PD = data.dataset(PX, PY)
        function __fit(probes)
          local m = nn.Sequential{nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)}
          local dir = os.tmpname(); os.remove(dir)
          train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(m, {lr = 1e-3}), train = PD, epochs = 2,
            batch = 256, log = dir, probes = probes, quiet = true, train_sample = 256}
          os.execute("rm -rf " .. dir)
        end
        __fit(true)
        """)
        var pairs: [(Double, Double)] = []
        for _ in 0..<15 {
            var t0 = now()
            try vm.run(code: "__fit(false)")
            let plain = now() - t0
            t0 = now()
            try vm.run(code: "__fit(true)")
            pairs.append((plain, now() - t0))
        }
        return Row.paired("train.fit, MLP 784-256-128-10, Adam, 40 steps with every probe logged each step (reference: without probes)",
                          ratio: "with ÷ without", unit: "ms", scale: 1e3 / 40, pairs)
    }
}
