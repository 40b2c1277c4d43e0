import Foundation
import Testing
@testable import OptLabRuntime

/// Every registered layer, gradient-checked by finite differences in f64 and
/// round-tripped through a checkpoint. A layer added to `Layers.all` without
/// an entry here fails `everyLayerHasAnEntry`, so none ships unchecked.
@Suite struct LayerRegistryTests {
    /// How to exercise one layer: its arguments and an input shape.
    struct Entry: Sendable {
        var numbers: [String: Double] = [:]
        var children: @Sendable () throws -> [Module] = { [] }
        var input: [Int]
        /// Dropout's mask is redrawn from this seed before every evaluation.
        var reseed = false
        /// The input is token ids in 1...ids (an Embedding's), not values.
        var ids: Int? = nil
        /// The relative error allowed: the recurrent layers' weights come from the shared
        /// generator, which concurrent suites also draw from and reseed, so their draws
        /// vary from run to run; a 2-layer LSTM's central difference at h = 1e-6 then
        /// ranges up to ~1.1e-6 (a wrong backward is off by far more).
        var tolerance = 1e-6
    }

    /// An entry's input: values drawn N(0, 1), or token ids.
    static func input(_ e: Entry, seed: UInt64) throws -> Tensor {
        guard let n = e.ids else { return try f64(e.input, seed: seed) }
        return try Tensor.randint(1, n + 1, e.input, generator: Generator(seed: seed))
    }

    static let entries: [String: Entry] = [
        "Linear": Entry(numbers: ["in": 5, "out": 3], input: [4, 5]),
        "Conv2d": Entry(numbers: ["in": 2, "out": 4, "kernel": 3, "kernel_w": 2, "padding": 1, "stride": 2, "dilation_w": 2, "dilation": 1, "groups": 2], input: [2, 2, 5, 4]),
        "Conv1d": Entry(numbers: ["in": 4, "out": 2, "kernel": 3, "padding": 2, "dilation": 2, "groups": 2, "stride": 2], input: [2, 4, 7]),
        "MaxPool2d": Entry(numbers: ["kernel": 2], input: [2, 3, 4, 6]),
        "AvgPool2d": Entry(numbers: ["kernel": 2, "stride": 1], input: [2, 2, 3, 4]),
        "Flatten": Entry(input: [3, 2, 2]),
        "ReLU": Entry(input: [4, 6]),
        "LeakyReLU": Entry(numbers: ["slope": 0.2], input: [4, 6]),
        "GELU": Entry(input: [4, 6]),
        "Tanh": Entry(input: [4, 6]),
        "Sigmoid": Entry(input: [4, 6]),
        "Dropout": Entry(numbers: ["p": 0.3], input: [5, 6], reseed: true),
        "BatchNorm": Entry(numbers: ["features": 3], input: [4, 3, 2, 2]),
        "Maxout": Entry(numbers: ["in": 4, "out": 3, "pieces": 2], input: [5, 4]),
        "Sequential": Entry(children: { [try Linear(4, 5), ReLU(), try Linear(5, 2)] }, input: [3, 4]),
        "Ensemble": Entry(children: { [try Linear(4, 3), try Linear(4, 3, initialization: .xavier)] }, input: [3, 4]),
        "Embedding": Entry(numbers: ["n": 6, "d": 3, "padding_idx": 2], input: [2, 4], ids: 6),
        "LayerNorm": Entry(numbers: ["features": 5], input: [2, 3, 5]),
        "RMSNorm": Entry(numbers: ["features": 5, "eps": 1e-6], input: [2, 3, 5]),
        "SiLU": Entry(input: [4, 6]),
        "Softplus": Entry(numbers: ["beta": 2], input: [4, 6]),
        "Identity": Entry(input: [4, 6]),
        // (without biases: the key bias's gradient is zero in exact arithmetic, rounding noise against a finite difference)
        "MultiheadAttention": Entry(numbers: ["d": 4, "heads": 2, "causal": 1, "bias": 0], input: [2, 3, 4]),
        "LSTM": Entry(numbers: ["input": 3, "hidden": 2, "layers": 2], input: [2, 3, 3], tolerance: 1e-5),
        "GRU": Entry(numbers: ["input": 3, "hidden": 2, "bias": 0], input: [2, 3, 3], tolerance: 1e-5),
    ]

    @Test func everyLayerHasAnEntry() {
        for kind in Layers.all { #expect(Self.entries[kind.name] != nil, "\(kind.name) is registered without a test entry") }
        for name in Self.entries.keys { #expect(Layers.kind(named: name) != nil, "entry for \(name), which is not registered") }
    }

    static func build(_ kind: LayerKind) throws -> (Module, Entry) {
        let e = entries[kind.name]!
        let m = try kind.make(ConstructorArguments(layer: kind.name, numbers: e.numbers, children: try e.children()))
        try m.to(.f64)
        return (m, e)
    }

    @Test(arguments: Layers.all.map(\.name))
    func gradientsMatchFiniteDifferences(_ name: String) throws {
        guard let kind = Layers.kind(named: name), Self.entries[name] != nil else { return }
        let (m, e) = try Self.build(kind)
        if e.ids != nil {
            // token ids have no gradient: the parameters' against finite differences
            let ids = try Self.input(e, seed: 3)
            let r = try Tensor.randn(try m.forward(ids).shape, dtype: .f64, generator: Generator(seed: 99))
            func loss() throws -> Double { try Tensor.withNoGrad { try m.forward(ids).mul(r).sum().item() } }
            try m.forward(ids).mul(r).sum().backward()
            for (n, p) in m.namedParameters() {
                let analytic = p.grad?.toDoubles() ?? []
                // (the padding row's value passes but, by definition as in PyTorch, it gets no gradient)
                let padding = e.numbers["padding_idx"].map { Int($0) - 1 }, width = Int(e.numbers["d"] ?? 1)
                for i in 0..<p.count where padding != i / width {
                    let v = p.element(i)
                    p.setElement(i, v + 1e-6); let plus = try loss()
                    p.setElement(i, v - 1e-6); let minus = try loss()
                    p.setElement(i, v)
                    #expect(Swift.abs(analytic[i] - (plus - minus) / 2e-6) < 1e-6, "\(name).\(n)[\(i)]")
                }
            }
            return
        }
        try expectModuleGradientsMatch(m, input: try Self.input(e, seed: 3), tolerance: e.tolerance, what: name) {
            if e.reseed { Generator.default.seed(7) }
        }
    }

    @Test(arguments: Layers.all.map(\.name))
    func checkpointsRebuildTheSameLayer(_ name: String) throws {
        guard let kind = Layers.kind(named: name), Self.entries[name] != nil else { return }
        let (m, e) = try Self.build(kind)
        let x = try Self.input(e, seed: 4)
        if m is BatchNorm { _ = try m.forward(x) }   // running statistics that differ from the initial ones
        m.evaluate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("layer-\(name)-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let (loaded, _) = try Module.load(from: path)
        #expect(loaded.typeName == name && loaded.summary == m.summary && loaded.config == m.config, "\(name) rebuilt as \(loaded.summary)")
        loaded.evaluate()
        let (a, b) = (try loaded.forward(x).toDoubles(), try m.forward(x).toDoubles())
        #expect(a == b, "\(name): the loaded layer computes \(a.prefix(4)), the saved one \(b.prefix(4))")
    }
}
