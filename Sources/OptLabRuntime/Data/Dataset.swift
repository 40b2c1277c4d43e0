/// Examples and their targets, in memory: `inputs` is [N, …] (f32); the
/// targets are [N] 0-based class labels (i32) for classification, or values
/// (f32, [N] or [N, …]) for regression. A Dataset is a value: `split`,
/// `take` and `normalized` return new ones; a normalized one remembers the
/// statistics it was normalized with, for the sets that must share them.
public struct Dataset {
    /// What the targets are.
    public enum Targets: Sendable, Equatable {
        /// Class labels 0..<n.
        case classes(Int)
        /// Real values a loss compares the predictions with (regression).
        case values
    }

    /// Per-feature statistics (x − mean) / std was taken with.
    public struct Normalization {
        public let mean: Tensor, std: Tensor
        public init(mean: Tensor, std: Tensor) { (self.mean, self.std) = (mean, std) }
    }

    public let inputs: Tensor
    /// The targets: 0-based class labels (i32), or values (f32).
    public let labels: Tensor
    public let targets: Targets
    /// The statistics this set was normalized with, or nil.
    public let normalization: Normalization?
    /// Set for a language model's set: `inputs` (and `labels`) are then one
    /// token stream, and its examples are blocks of it.
    public internal(set) var blocks: TokenBlocks?

    /// A classification set: `labels` are 0-based class indices.
    public init(inputs: Tensor, labels: Tensor, classes: Int? = nil, normalization: Normalization? = nil) throws {
        guard inputs.rank >= 1, labels.rank == 1, labels.shape[0] == inputs.shape[0] else {
            throw RuntimeError(.shape, "dataset", "\(labels.count) labels for inputs of shape \(describe(inputs.shape)) (the counts must match)")
        }
        let y = try labels.to(.i32)
        let maxLabel = y.count == 0 ? -1 : Int(try y.max().item())
        let minLabel = y.count == 0 ? 0 : Int(try y.min().item())
        guard minLabel >= 0 else { throw RuntimeError(.argument, "dataset", "labels must be non-negative, got \(minLabel)") }
        let c = classes ?? (maxLabel + 1)
        guard maxLabel < c else { throw RuntimeError(.argument, "dataset", "label \(maxLabel) is out of range for \(c) classes") }
        self.inputs = inputs
        self.labels = y
        targets = .classes(c)
        self.normalization = normalization
    }

    /// A regression set: `values` [N] or [N, …] are what the predictions are compared with.
    public init(inputs: Tensor, values: Tensor, normalization: Normalization? = nil) throws {
        guard inputs.rank >= 1, values.rank >= 1, values.shape[0] == inputs.shape[0] else {
            throw RuntimeError(.shape, "dataset", "targets of shape \(describe(values.shape)) for inputs of shape \(describe(inputs.shape)) (the counts must match)")
        }
        self.inputs = inputs
        labels = values.dtype == .i32 ? try values.to(.f32) : values
        targets = .values
        self.normalization = normalization
    }

    /// Examples (blocks an epoch draws, for a token stream).
    public var count: Int { blocks?.perEpoch ?? (inputs.rank == 0 ? 0 : inputs.shape[0]) }
    /// What an accuracy counts: examples, or every block's tokens.
    public var predictionCount: Int { count * (blocks?.length ?? 1) }

    /// An epoch's order: a seeded shuffle of the examples, or a token set's drawn block starts.
    public func epochOrder(_ generator: Generator) -> [Int] {
        blocks.map { $0.drawnStarts(generator) } ?? generator.permutation(count)
    }

    /// The order an evaluation reads the set in.
    public var fixedOrder: [Int] { blocks?.fixedStarts ?? Array(0..<count) }
    /// The number of classes; 0 for a regression set.
    public var classes: Int { if case .classes(let c) = targets { return c }; return 0 }
    public var isClassification: Bool { targets != .values }

    /// The same targets and statistics around other inputs (and targets) of as many examples.
    func with(inputs: Tensor, labels: Tensor? = nil, normalization: Normalization?? = .none) throws -> Dataset {
        if blocks != nil {
            throw RuntimeError(.argument, "Dataset", "a text set's examples are blocks of one token stream: it is split by data.text's val option, "
                               + "and re-blocked by ds:blocks{block =, per_epoch =}")
        }
        let n = normalization ?? self.normalization
        switch targets {
        case .classes(let c): return try Dataset(inputs: inputs, labels: labels ?? self.labels, classes: c, normalization: n)
        case .values: return try Dataset(inputs: inputs, values: labels ?? self.labels, normalization: n)
        }
    }

    /// The first non-finite input (NaN or ±infinity): how many there are,
    /// and the first's example and feature (0-based) and value; nil when all are finite.
    public func firstNonFinite() -> (count: Int, example: Int, feature: Int, value: Double)? {
        guard count > 0, let bad = inputs.firstNonFinite() else { return nil }
        let perExample = inputs.count / count
        return (bad.count, bad.index / perExample, bad.index % perExample, bad.value)
    }

    /// Refuses a set with non-finite inputs, naming how many and the first
    /// (a NaN trains nothing and, normalized, spreads over its whole feature).
    public func requireFinite(_ op: String) throws {
        guard let bad = firstNonFinite() else { return }
        throw RuntimeError(.argument, op, "\(bad.count) of the inputs \(bad.count == 1 ? "is" : "are") not finite (the first: \(bad.value.isNaN ? "nan" : String(bad.value)) at example \(bad.example + 1), feature \(bad.feature + 1)); "
                           + "drop or fill those examples first (x:masked_fill_(x:ne(x), 0) sets NaNs to 0)")
    }

    /// The first `fraction` of a seeded shuffle, and the rest (one
    /// validation fold, as the notes advise over cross-validation).
    public func split(_ fraction: Double, seed: UInt64 = 0) throws -> (Dataset, Dataset) {
        guard fraction > 0, fraction < 1 else { throw RuntimeError(.argument, "split", "fraction must be in (0, 1), got \(fraction)") }
        let order = Generator(seed: seed).permutation(count)
        let cut = Int((Double(count) * fraction).rounded())
        return (try subset(Array(order[..<cut])), try subset(Array(order[cut...])))
    }

    /// The first n examples.
    public func take(_ n: Int) throws -> Dataset {
        guard n >= 0 else { throw RuntimeError(.argument, "take", "n must be non-negative") }
        if blocks != nil { return try reblocked(perEpoch: Swift.max(1, Swift.min(n, count))) }
        return try subset(Array(0..<Swift.min(n, count)))
    }

    public func subset(_ indices: [Int]) throws -> Dataset {
        let idx = try Tensor(int32: indices.map(Int32.init))
        return try with(inputs: inputs.indexSelect(dim: 0, idx), labels: labels.indexSelect(dim: 0, idx))
    }

    /// Batches in order, or shuffled by a seeded generator.
    public func batches(size: Int, shuffle: Bool = false, generator: Generator = .default) throws -> [(inputs: Tensor, labels: Tensor)] {
        guard size > 0 else { throw RuntimeError(.argument, "batches", "batch size must be positive, got \(size)") }
        let order = shuffle ? epochOrder(generator) : fixedOrder
        return try stride(from: 0, to: (count + size - 1) / size, by: 1).map { try batch($0, of: order, size: size) }
    }

    /// Batch `index` (from 0) of the epoch whose example order is `order`:
    /// what `batches` makes, one at a time (a run resumed mid-epoch, or a
    /// fractional last epoch, copies only the batches it trains on).
    public func batch(_ index: Int, of order: [Int], size: Int) throws -> (inputs: Tensor, labels: Tensor) {
        let start = index * size
        if let b = blocks { return try blockBatch(order[start..<Swift.min(start + size, order.count)], b) }
        let idx = try Tensor(int32: order[start..<Swift.min(start + size, order.count)].map(Int32.init))
        return (try inputs.indexSelect(dim: 0, idx), try labels.indexSelect(dim: 0, idx))
    }

    /// Per-feature mean and standard deviation over the examples (computed on
    /// the training part, then applied to every part). Non-finite inputs are
    /// refused: one NaN would make its feature's statistics NaN.
    public func statistics() throws -> (mean: Tensor, std: Tensor) {
        if blocks != nil { throw RuntimeError(.argument, "Dataset:normalize", "a text set's inputs are tokens: there is nothing to normalize") }
        try requireFinite("Dataset:normalize")
        let flat = try inputs.reshape([count, -1])
        guard flat.dtype == .f32, count > 0 else {
            return (try flat.mean(dim: 0), try flat.std(dim: 0, correction: 0).add(1e-8))
        }
        // Two passes over the rows into per-feature f64 sums, with no
        // temporaries: a 54,000-image set would otherwise allocate (and fault
        // in) three more copies of itself.
        let (n, f) = (count, flat.shape[1])
        let x = flat.ptr(Float.self)
        var sum = [Double](repeating: 0, count: f), squares = [Double](repeating: 0, count: f)
        sum.withUnsafeMutableBufferPointer { s in
            for i in 0..<n { let row = x + i * f; for j in 0..<f { s[j] += Double(row[j]) } }
        }
        let mean = sum.map { $0 / Double(n) }
        squares.withUnsafeMutableBufferPointer { q in
            mean.withUnsafeBufferPointer { m in
                for i in 0..<n { let row = x + i * f; for j in 0..<f { let d = Double(row[j]) - m[j]; q[j] += d * d } }
            }
        }
        return (try Tensor(mean.map(Float.init), shape: [f]),
                try Tensor(squares.map { Float(($0 / Double(n)).squareRoot() + 1e-8) }, shape: [f]))
    }

    /// (x − mean) / std with given statistics, or a single scalar mean/std
    /// (the notes' "zero-centre and normalise"); the result remembers them.
    public func normalized(mean: Tensor, std: Tensor) throws -> Dataset {
        try requireFinite("Dataset:normalize")
        let stats = Normalization(mean: mean, std: std)
        let flat = try inputs.reshape([count, -1])
        let f = flat.rank == 2 ? flat.shape[1] : 0
        if flat.dtype == .f32, f > 0, mean.count == f, std.count == f, mean.rank == 1, std.rank == 1 {
            // One fused pass into one new buffer: (x − mean[j]) · (1 / std[j]).
            let m = mean.toDoubles().map(Float.init), inv = std.toDoubles().map { Float(1 / $0) }
            let out = try Tensor(uninitialized: flat.shape, dtype: .f32)
            let (x, y) = (flat.ptr(Float.self), out.ptr(Float.self))
            m.withUnsafeBufferPointer { m in
                inv.withUnsafeBufferPointer { inv in
                    for i in 0..<count {
                        let (src, dst) = (x + i * f, y + i * f)
                        for j in 0..<f { dst[j] = (src[j] - m[j]) * inv[j] }
                    }
                }
            }
            return try with(inputs: try out.reshape(inputs.shape), normalization: stats)
        }
        let out = try Tensor.withNoGrad { try flat.sub(mean).div(std).reshape(inputs.shape) }
        return try with(inputs: out, normalization: stats)
    }

    /// Normalized with the set's own statistics.
    public func normalized() throws -> Dataset {
        let (mean, std) = try statistics()
        return try normalized(mean: mean, std: std)
    }

    /// Inputs reshaped to [N, features].
    public func flattened() throws -> Dataset {
        try with(inputs: inputs.reshape([count, -1]))
    }

    /// Inputs reshaped to [N, channels, height, width].
    public func images(channels: Int, height: Int, width: Int) throws -> Dataset {
        try with(inputs: inputs.reshape([count, channels, height, width]))
    }
}
