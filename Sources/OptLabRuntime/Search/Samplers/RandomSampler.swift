/// Random search (the notes' choice over grid search): each trial drawn
/// from a generator seeded by the search's seed and the trial number alone,
/// so any trial can be drawn again.
public struct RandomSampler: SearchSampler {
    public init() {}

    public func point(space: SearchSpace, index: Int, budget: Int, seed: UInt64, trial: Int) -> [String: Double]? {
        space.sample(seed: seed, trial: trial)
    }

    public static let kind = SamplerKind("random", help: "Each trial drawn at random from the space (the default).") { RandomSampler() }
}
