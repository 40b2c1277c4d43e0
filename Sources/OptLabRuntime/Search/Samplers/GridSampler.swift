/// Grid search, for comparison with random search: levels per parameter so
/// that the grid fits the stage's budget (`SearchSpace.gridLevels`); a grid
/// may use fewer trials than the budget.
public struct GridSampler: SearchSampler {
    public init() {}

    public func plan(space: SearchSpace, budget: Int) -> (trials: Int, note: String?) {
        let levels = space.gridLevels(budget: budget)
        let size = levels.reduce(1, *)
        let named = zip(space.parameters, levels).map { "\($0.name) \($1)" }.joined(separator: ", ")
        return (size, "grid of \(size) points (\(named) levels) for a budget of \(budget)")
    }

    public func point(space: SearchSpace, index: Int, budget: Int, seed: UInt64, trial: Int) -> [String: Double]? {
        space.gridPoint(index: index, budget: budget)
    }

    public static let kind = SamplerKind("grid", help: "A grid fitted to each stage's budget, every level at the centre of its cell.",
                                         worksWithASHA: false) { GridSampler() }
}
