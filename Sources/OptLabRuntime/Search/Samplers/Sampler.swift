/// How a search picks its trials' values: one file each in Search/Samplers,
/// listed in `Samplers.all`, named by `hp.search{method = ...}`.
///
/// A stage of a search asks its sampler for a plan (how many trials its
/// budget buys), then for each trial either a point fixed ahead (random,
/// grid: the same whatever finishes first) or, for an adaptive sampler, a
/// point chosen when the trial is handed out, from the trials finished so
/// far and those still running (TPE).
public protocol SearchSampler: Sendable {
    /// How many trials a stage of `budget` runs, and what to say about it
    /// ("grid of 18 points (lr 6, width 3) for a budget of 20"), or nil.
    func plan(space: SearchSpace, budget: Int) -> (trials: Int, note: String?)
    /// Trial `index` of the stage (from 0; `trial` numbers it in the search),
    /// fixed ahead of time; nil for an adaptive sampler.
    func point(space: SearchSpace, index: Int, budget: Int, seed: UInt64, trial: Int) -> [String: Double]?
    /// An adaptive sampler's point for `trial`, given the finished trials
    /// (higher score is better) and the values of those still running.
    func point(space: SearchSpace, finished: [TPE.Observation], running: [[String: Double]], seed: UInt64, trial: Int) -> [String: Double]
}

extension SearchSampler {
    public func plan(space: SearchSpace, budget: Int) -> (trials: Int, note: String?) { (budget, nil) }
    public func point(space: SearchSpace, finished: [TPE.Observation], running: [[String: Double]], seed: UInt64, trial: Int) -> [String: Double] {
        point(space: space, index: trial - 1, budget: trial, seed: seed, trial: trial) ?? space.sample(seed: seed, trial: trial)
    }
}

/// A sampler's declaration: its name for `method =`, its help, and how it is timed.
public typealias SamplerKind = Declaration<any SearchSampler, SamplerTraits>

public struct SamplerTraits: Sendable {
    /// Picks each trial when it is handed out, from the results so far
    /// (workers get one trial each at a time; Slurm submits one at a time).
    public let adaptive: Bool
    /// Can start new trials for successive halving (which starts them one by one).
    public let worksWithASHA: Bool
}

extension Declaration where Made == any SearchSampler, Traits == SamplerTraits {
    public init(_ name: String, help: String, adaptive: Bool = false, worksWithASHA: Bool = true, make: @escaping @Sendable () -> any SearchSampler) {
        self.init(name, signature: "hp.search{method = \"\(name)\", ...}", help: help,
                  traits: SamplerTraits(adaptive: adaptive, worksWithASHA: worksWithASHA), make: { _ in make() })
    }
}
