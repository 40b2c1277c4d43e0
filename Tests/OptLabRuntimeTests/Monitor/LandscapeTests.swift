import Foundation
import Testing
@testable import OptLabRuntime

/// Landscapes against closed forms: on f(θ) = ½Σ c_k θ_k² the plane through
/// θ0 along d1, d2 is the paraboloid ½Σ c_k (θ0 + αd1 + βd2)_k², the line a
/// parabola whose barrier is worked by hand; filter normalisation on a
/// hand-worked matrix.
@Suite struct LandscapeTests {
    static let c = [1.0, 3.0, 0.5, 2.0]

    static func quadratic() throws -> (Tensor, () throws -> Double) {
        let theta = try Tensor.from([0.3, -0.2, 1.0, 0.5], shape: [2, 2], dtype: .f64)
        let weights = try Tensor.from(c, shape: [2, 2], dtype: .f64)
        return (theta, { try theta.mul(theta).mul(weights).sum().mul(0.5).item() })
    }

    static func f(_ x: [Double]) -> Double { zip(c, x).reduce(0) { $0 + 0.5 * $1.0 * $1.1 * $1.1 } }

    @Test func thePlaneIsTheParaboloid() throws {
        let (theta, loss) = try Self.quadratic()
        let t0 = theta.toDoubles()
        let d1 = try Tensor.from([1, 0, 0.5, -1], shape: [2, 2], dtype: .f64), d2 = try Tensor.from([0, 2, -1, 0.25], shape: [2, 2], dtype: .f64)
        let p = try Landscape.plane(parameters: [theta], centre: [theta.clone()], directions: [d1], [d2], grid: 5, span: 2, loss: loss)
        #expect(p.alphas == [-2, -1, 0, 1, 2])
        for (i, a) in p.alphas.enumerated() {
            for (j, b) in p.betas.enumerated() {
                let x = (0..<4).map { t0[$0] + a * d1.toDoubles()[$0] + b * d2.toDoubles()[$0] }
                #expect(Swift.abs(p.values[i][j] - Self.f(x)) < 1e-12, "α \(a), β \(b)")
            }
        }
        #expect(theta.toDoubles() == t0, "the parameters are put back")
    }

    @Test func theLineAndItsBarrier() throws {
        let (theta, loss) = try Self.quadratic()
        // from a = (1, 0, 0, 0) to b = (−1, 0, 0, 0): f = ½(1 − 2α)², the chord is ½, the barrier 0 (convex)
        let a = try Tensor.from([1, 0, 0, 0], shape: [2, 2], dtype: .f64), b = try Tensor.from([-1, 0, 0, 0], shape: [2, 2], dtype: .f64)
        let line = try Landscape.line(parameters: [theta], from: [a], to: [b], points: 5, loss: loss)
        #expect(line.alphas == [0, 0.25, 0.5, 0.75, 1])
        #expect(zip(line.values, [0.5, 0.125, 0, 0.125, 0.5]).allSatisfy { Swift.abs($0 - $1) < 1e-15 })
        #expect(line.barrier == 0)
        // a hand-made curve with a bump: values 1, 3, 2 at α 0, ½, 1; the chord at ½ is 1.5, the barrier 1.5
        #expect(Landscape.Line(alphas: [0, 0.5, 1], values: [1, 3, 2]).barrier == 1.5)
    }

    @Test func filterNormalisationOnAHandWorkedMatrix() throws {
        // weights' filters (rows) have norms 5 and 1; the direction's rows, norms 1 and 2, are scaled to them; a bias gets none
        let w = try Tensor.from([3, 4, 0, 1], shape: [2, 2], dtype: .f64), bias = try Tensor.from([1, 2], dtype: .f64)
        let d = try Landscape.filterNormalized([Tensor.from([1, 0, 0, 2], shape: [2, 2], dtype: .f64), Tensor.from([5, 5], dtype: .f64)], like: [w, bias])
        #expect(d[0].toDoubles() == [5, 0, 0, 1])
        #expect(d[1].toDoubles() == [0, 0])
    }

    @Test func badShapesAreErrors() throws {
        let (theta, loss) = try Self.quadratic()
        #expect(throws: RuntimeError.self) { try Landscape.line(parameters: [theta], from: [Tensor.zeros([3], dtype: .f64)], to: [theta], points: 3, loss: loss) }
        #expect(throws: RuntimeError.self) { try Landscape.line(parameters: [theta], from: [theta], to: [theta], points: 1, loss: loss) }
    }
}
