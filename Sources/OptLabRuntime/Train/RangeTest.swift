import Foundation

/// The learning-rate range test (Smith 2017, "Cyclical Learning Rates",
/// §3.3; fastai's `lr_find`): train a few hundred steps with the rate
/// growing exponentially from `start` to `stop`, record the loss, and read
/// where it falls fastest. The loss is smoothed by an exponential moving
/// average (bias-corrected, as fastai's), and the sweep stops once the
/// smoothed loss passes `divergence` times its best or becomes non-finite.
///
/// Nothing the test touches survives it: the parameters, buffers (BatchNorm's
/// statistics), gradients, training mode, the optimizer's state and rate and
/// the default generator are restored bit for bit afterwards. With several
/// seeds (batch order and dropout draws) each sweep starts from the same
/// weights, and the suggestions' spread says how far to trust them.
public enum RangeTest {
    public struct Options {
        public var start = 1e-7, stop = 10.0
        public var steps = 100
        public var batchSize = 64
        /// The EMA's weight on the past (fastai's beta).
        public var smoothing = 0.98
        /// Stop when the smoothed loss passes this many times its best.
        public var divergence = 4.0
        public var clip: Double?
        public init() {}
    }

    /// Where to start: the rate of the steepest descent of the smoothed
    /// loss against log10(lr), a tenth of the rate at its minimum, and
    /// fastai's "valley" (two thirds of the way down the longest stretch
    /// over which the loss keeps falling). Nil where the curve is too short.
    public struct Suggestions {
        public var steepest: Double?, minimumOverTen: Double?, valley: Double?
    }

    public struct Sweep {
        public var rates: [Double] = [], losses: [Double] = [], smoothed: [Double] = []
        public var suggestions = Suggestions()
        public var seed: UInt64 = 0
        /// Why it stopped before `steps` (diverged, non-finite), or nil.
        public var stopped: String?
    }

    public static func run(model: Module, loss: @escaping Trainer.LossFunction, optimizer: Optimizer, train: Dataset,
                           options: Options = Options(), seeds: [UInt64] = [0]) throws -> [Sweep] {
        guard options.start > 0, options.stop > options.start, options.start.isFinite, options.stop.isFinite else {
            throw RuntimeError(.argument, "train.lr_find", "start and stop must be positive with start < stop, got \(options.start) and \(options.stop)")
        }
        guard options.steps >= 2 else { throw RuntimeError(.argument, "train.lr_find", "steps must be at least 2, got \(options.steps)") }
        guard options.batchSize >= 1 else { throw RuntimeError(.argument, "train.lr_find", "batch must be positive, got \(options.batchSize)") }
        guard options.smoothing >= 0, options.smoothing < 1 else { throw RuntimeError(.argument, "train.lr_find", "smooth must be in [0, 1), got \(options.smoothing)") }
        guard options.divergence > 1 else { throw RuntimeError(.argument, "train.lr_find", "diverge must be above 1, got \(options.divergence)") }
        guard train.count > 0 else { throw RuntimeError(.argument, "train.lr_find", "the training set is empty") }
        let owned = Set(optimizer.parameters.map(ObjectIdentifier.init))
        guard model.parameters().contains(where: { owned.contains(ObjectIdentifier($0)) }) else {
            throw RuntimeError(.argument, "train.lr_find", "the optimizer holds none of the model's parameters")
        }
        let snapshot = try Snapshot(model: model, optimizer: optimizer)
        defer { snapshot.restore() }
        return try seeds.map { seed in
            defer { snapshot.restore() }
            return try sweep(model: model, loss: loss, optimizer: optimizer, train: train, options: options, seed: seed)
        }
    }

    private static func sweep(model: Module, loss: Trainer.LossFunction, optimizer: Optimizer, train: Dataset,
                              options: Options, seed: UInt64) throws -> Sweep {
        var s = Sweep()
        s.seed = seed
        let generator = Generator(seed: seed)
        Generator.default.state = Generator(seed: seed &+ 1).state
        model.train()
        let perEpoch = Swift.max(1, (train.count + options.batchSize - 1) / options.batchSize)
        var order = train.epochOrder(generator)
        var average = 0.0, best = Double.infinity
        let ratio = Foundation.log(options.stop / options.start)
        for i in 0..<options.steps {
            if i > 0 && i % perEpoch == 0 { order = train.epochOrder(generator) }
            let lr = options.start * Foundation.exp(ratio * Double(i) / Double(options.steps - 1))
            optimizer.learningRate = lr
            optimizer.zeroGrad()
            let batch = try train.batch(i % perEpoch, of: order, size: options.batchSize)
            let l = try loss(try model(batch.inputs), batch.labels)
            guard l.count == 1 else { throw RuntimeError(.shape, "train.lr_find", "the loss must be one number, got shape \(describe(l.shape))") }
            let value = try l.item()
            s.rates.append(lr)
            s.losses.append(value)
            guard value.isFinite else {
                s.smoothed.append(value)
                s.stopped = String(format: "the loss became %@ at lr %.3g", value.isNaN ? "nan" : "inf", lr)
                break
            }
            average = options.smoothing * average + (1 - options.smoothing) * value
            let smooth = average / (1 - Foundation.pow(options.smoothing, Double(i + 1)))
            s.smoothed.append(smooth)
            best = Swift.min(best, smooth)
            if smooth > options.divergence * best {
                s.stopped = String(format: "the smoothed loss passed %g× its best at lr %.3g", options.divergence, lr)
                break
            }
            try l.backward()
            if let c = options.clip { try optimizer.clipGradients(maxNorm: c) }
            try optimizer.step()
        }
        s.suggestions = suggest(rates: s.rates, smoothed: s.smoothed)
        return s
    }

    /// The three suggestions from a curve (its finite points).
    public static func suggest(rates: [Double], smoothed: [Double]) -> Suggestions {
        let points = zip(rates, smoothed).filter { $0.1.isFinite }
        guard points.count >= 5 else { return Suggestions() }
        let lrs = points.map(\.0), losses = points.map(\.1)
        var out = Suggestions()
        // steepest: the most negative slope between neighbours, per decade
        var steepest = 0, slope = Double.infinity
        for i in 0..<(lrs.count - 1) {
            let d = (losses[i + 1] - losses[i]) / (Foundation.log10(lrs[i + 1]) - Foundation.log10(lrs[i]))
            if d < slope { (slope, steepest) = (d, i) }
        }
        out.steepest = lrs[steepest]
        out.minimumOverTen = lrs[losses.indices.min { losses[$0] < losses[$1] }!] / 10
        // valley: the longest decreasing subsequence's span, two thirds of the way down
        var length = [Int](repeating: 1, count: losses.count)
        var end = 0, start = 0
        for i in 1..<losses.count {
            for j in 0..<i where losses[i] < losses[j] && length[i] < length[j] + 1 { length[i] = length[j] + 1 }
            if length[end] < length[i] { end = i; start = end - length[end] }
        }
        let third = Double(end - start) / 3
        out.valley = lrs[Swift.min(lrs.count - 1, Swift.max(0, start + Int(third) + Int(third / 2)))]
        return out
    }

    /// What the test changes, copied before and put back after.
    private final class Snapshot {
        let model: Module, optimizer: Optimizer
        let parameters: [(Tensor, Tensor, Tensor?)]
        let buffers: [(Tensor, Tensor)]
        let state: [(name: String, tensor: Tensor)], scalars: [String: String]
        let generator: Generator.State, training: Bool
        let norms: (update: [Double], weight: [Double]), clip: ClipRecord?

        init(model: Module, optimizer: Optimizer) throws {
            self.model = model
            self.optimizer = optimizer
            var seen = Set<ObjectIdentifier>()
            let all = (model.parameters() + optimizer.parameters).filter { seen.insert(ObjectIdentifier($0)).inserted }
            parameters = try all.map { ($0, try $0.detach().clone(), try $0.grad.map { try $0.clone() }) }
            buffers = try model.namedBuffers().map { ($0.tensor, try $0.tensor.clone()) }
            state = try optimizer.stateTensors().map { ($0.name, try $0.tensor.clone()) }
            scalars = optimizer.stateScalars
            generator = Generator.default.state
            training = model.isTraining
            norms = (optimizer.lastUpdateNorms, optimizer.lastParameterNorms)
            clip = optimizer.lastClip
        }

        func restore() {
            Tensor.withNoGrad {
                for (p, value, grad) in parameters { try? p.copy(from: value); p.grad = grad.flatMap { try? $0.clone() } }
                for (b, value) in buffers { try? b.copy(from: value) }
            }
            try? optimizer.loadState(tensors: state, scalars: scalars)
            (optimizer.lastUpdateNorms, optimizer.lastParameterNorms, optimizer.lastClip) = (norms.update, norms.weight, clip)
            Generator.default.state = generator
            model.train(training)
        }
    }
}
