/// Mean, sample standard deviation (n − 1), extremes and standard error of
/// a set of measurements, e.g. one metric over seeds.
public struct Summary: Sendable, Equatable {
    public let n: Int
    public let mean: Double
    /// The sample standard deviation; nan for fewer than two values.
    public let std: Double
    public let min: Double
    public let max: Double

    public init(_ values: [Double]) {
        n = values.count
        // shifted by the first value: the mean of equal values is that value, exactly
        let shift = values.first ?? 0
        mean = values.isEmpty ? .nan : shift + Summary.sum(values.map { $0 - shift }) / Double(values.count)
        if values.count > 1 {
            let m = mean
            std = (Summary.sum(values.map { ($0 - m) * ($0 - m) }) / Double(values.count - 1)).squareRoot()
        } else {
            std = .nan
        }
        min = values.min() ?? .nan
        max = values.max() ?? .nan
    }

    /// The standard error of the mean.
    public var sem: Double { std / Double(n).squareRoot() }
    public var variance: Double { std * std }

    static func sum(_ v: [Double]) -> Double { v.reduce(0, +) }
}
