/// How a layer's weights start. The notes' default is a small Gaussian
/// (std 0.01); Xavier/Glorot suits tanh and sigmoid, Kaiming/He suits ReLU.
public enum Initialization: String, Sendable, CaseIterable {
    /// N(0, 0.01²).
    case small
    /// N(0, 1/fanIn): Var(w) = 1/n keeps activations' variance (Glorot, LeCun form).
    case xavier
    /// N(0, 2/fanIn): He et al. for ReLU units.
    case kaiming

    public init(parsing s: String) throws {
        switch s.lowercased() {
        case "small", "gaussian": self = .small
        case "xavier", "glorot": self = .xavier
        case "kaiming", "he": self = .kaiming
        default: throw RuntimeError(.argument, "init", "unknown initialization '\(s)' (expected small, xavier or kaiming)")
        }
    }

    func std(fanIn: Int) -> Double {
        switch self {
        case .small: return 0.01
        case .xavier: return (1.0 / Double(Swift.max(fanIn, 1))).squareRoot()
        case .kaiming: return (2.0 / Double(Swift.max(fanIn, 1))).squareRoot()
        }
    }

    func weights(_ shape: [Int], fanIn: Int, dtype: DType, generator: Generator = .default) throws -> Tensor {
        try Tensor.randn(shape, std: std(fanIn: fanIn), dtype: dtype, generator: generator)
    }
}
