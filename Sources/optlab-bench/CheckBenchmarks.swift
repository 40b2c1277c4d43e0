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
