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
    for (k, x) in inputs.enumerated() {
        let analytic = x.grad?.toDoubles() ?? [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let v = x.element(i)
            x.setElement(i, v + h); let plus = try loss()
            x.setElement(i, v - h); let minus = try loss()
            x.setElement(i, v)
            let numeric = (plus - minus) / (2 * h)
            let err = Swift.abs(analytic[i] - numeric) / Swift.max(Swift.abs(analytic[i]), Swift.abs(numeric), 1e-7)
            #expect(err < tolerance, "input \(k) element \(i): analytic \(analytic[i]) vs numeric \(numeric) (rel err \(err))",
                    sourceLocation: sourceLocation)
        }
    }
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
