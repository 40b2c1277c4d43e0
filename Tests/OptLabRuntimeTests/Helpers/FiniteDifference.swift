import Testing
@testable import OptLabRuntime

/// Checks every analytic gradient of `f` against a centered finite
/// difference in f64: L = Σ f(x) ⊙ R for a fixed random R, so every output
/// element matters. Tolerance: relative error 1e-6 with an absolute floor.
func expectGradientsMatch(_ inputs: [Tensor], h: Double = 1e-6, tolerance: Double = 1e-6,
                          sourceLocation: SourceLocation = #_sourceLocation,
                          _ f: ([Tensor]) throws -> Tensor) throws {
    let inputs = try inputs.map { try $0.clone().requiringGrad() }  // fresh leaves
    let probe = try Tensor.withNoGrad { try f(inputs) }
    let weights = try Tensor.randn(probe.shape, dtype: .f64, generator: Generator(seed: 99))
    func loss() throws -> Double { try Tensor.withNoGrad { try f(inputs).to(.f64).mul(weights).sum().item() } }

    try f(inputs).to(.f64).mul(weights).sum().backward()
    let floor = differenceFloor(try loss(), h: h, tolerance: tolerance)
    for (k, x) in inputs.enumerated() {
        let analytic = x.grad?.toDoubles() ?? [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let v = x.element(i)
            x.setElement(i, v + h); let plus = try loss()
            x.setElement(i, v - h); let minus = try loss()
            x.setElement(i, v)
            let numeric = (plus - minus) / (2 * h)
            let err = Swift.abs(analytic[i] - numeric) / Swift.max(Swift.abs(analytic[i]), Swift.abs(numeric), floor)
            #expect(err < tolerance, "input \(k) element \(i): analytic \(analytic[i]) vs numeric \(numeric) (rel err \(err))",
                    sourceLocation: sourceLocation)
        }
    }
}

/// The smallest gradient magnitude a relative comparison divides by: a
/// centred difference of L carries rounding of about ε·|L|/h, so entries
/// below ten times that over the tolerance are compared absolutely (at
/// 1e-7 at least, the old fixed floor).
func differenceFloor(_ loss: Double, h: Double, tolerance: Double) -> Double {
    Swift.max(1e-7, 10 * Double.ulpOfOne * Swift.abs(loss) / (h * tolerance))
}

/// Expects two arrays equal within `tolerance`, relative to the larger
/// magnitude, with `floor` as the smallest magnitude divided by (so values
/// near zero are compared absolutely). Prints the worst element.
func expectClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-6, floor: Double = 1e-12,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "counts \(a.count) vs \(b.count)", sourceLocation: sourceLocation)
    var worst = 0.0, at = -1
    for (i, (x, y)) in zip(a, b).enumerated() where !(x == y || (x.isNaN && y.isNaN)) {
        let err = Swift.abs(x - y) / Swift.max(Swift.abs(x), Swift.abs(y), floor)
        if !(err <= worst) { worst = err; at = i }
    }
    #expect(worst <= tolerance, "element \(at): \(at >= 0 ? a[at] : 0) vs \(at >= 0 ? b[at] : 0) (rel err \(worst))",
            sourceLocation: sourceLocation)
}

func f64(_ shape: [Int], seed: UInt64) throws -> Tensor {
    try Tensor.randn(shape, dtype: .f64, generator: Generator(seed: seed))
}

/// Checks a module's gradients, for its input and every parameter, against
/// centred finite differences in f64: L = Σ m(x) ⊙ R for a fixed random R.
/// The module's own parameters are perturbed in place. `before` runs before
/// every evaluation (a dropout layer reseeds its mask there).
func expectModuleGradientsMatch(_ m: Module, input: Tensor, h: Double = 1e-6, tolerance: Double = 1e-6, what: String,
                                before: () -> Void = {}, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let x = try input.clone().requiringGrad()
    before()
    let probe = try Tensor.withNoGrad { try m.forward(x) }
    let weights = try Tensor.randn(probe.shape, dtype: .f64, generator: Generator(seed: 99))
    func loss() throws -> Double {
        before()
        return try Tensor.withNoGrad { try m.forward(x).mul(weights).sum().item() }
    }
    m.zeroGrad()
    before()
    try m.forward(x).mul(weights).sum().backward()
    let floor = differenceFloor(try loss(), h: h, tolerance: tolerance)
    let checked = [("input", x)] + m.namedParameters().map { ($0.name, $0.tensor) }
    for (name, t) in checked {
        let analytic = t.grad?.toDoubles() ?? [Double](repeating: 0, count: t.count)
        for i in 0..<t.count {
            let v = t.element(i)
            t.setElement(i, v + h); let plus = try loss()
            t.setElement(i, v - h); let minus = try loss()
            t.setElement(i, v)
            let numeric = (plus - minus) / (2 * h)
            let err = Swift.abs(analytic[i] - numeric) / Swift.max(Swift.abs(analytic[i]), Swift.abs(numeric), floor)
            #expect(err < tolerance, "\(what): \(name)[\(i)] analytic \(analytic[i]) vs numeric \(numeric) (rel err \(err))",
                    sourceLocation: sourceLocation)
        }
    }
}
