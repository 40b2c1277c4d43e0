/// ½·λ·Σ w² over the weights of `model` (matrices and filters; biases and
/// BatchNorm parameters only when `includeBiases`), the regularisation
/// term of the notes, returned on its own.
public func l2Penalty(_ model: Module, strength: Double, includeBiases: Bool = false) throws -> Tensor {
    var total: Tensor?
    for (name, p) in model.namedParameters() where includeBiases || (p.rank >= 2 && !name.hasSuffix("bias")) {
        let term = try p.mul(p).sum()
        total = try total.map { try $0.add(term) } ?? term
    }
    let dtype = model.parameters().first?.dtype ?? .f32
    return try (total ?? Tensor.scalar(0, dtype: dtype)).mul(0.5 * strength)
}
