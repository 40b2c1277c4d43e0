/// Mean of (prediction − target)² over all elements (PyTorch's MSELoss).
public struct MSE: LossRule {
    public init() {}

    public var summary: String { "MSE" }
    public var targets: LossTargets { .values }
    public var operation: String { "MSE" }

    public func loss(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
        try ValueLoss.check("MSE", scores, targets)
        let d = try scores.sub(targets)
        return try d.mul(d).mean()
    }

    public static let kind = LossKind("MSE", signature: "nn.MSE()", help: "Mean squared error over all elements: loss(prediction, target).") { _ in
        Loss(MSE())
    }
}

extension Loss {
    public static let mse = Loss(MSE())
}
