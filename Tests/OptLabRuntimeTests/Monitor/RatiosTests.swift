import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct RatiosTests {
    @Test func ratiosMatchAHandComputation() throws {
        let p = try Tensor.from([3, 4], dtype: .f64).requiringGrad()
        p.name = "w"
        let opt = try Optimizer([p], rule: .sgd, learningRate: 1e-5)
        p.grad = try Tensor.from([0, 10], dtype: .f64)
        try opt.step()
        let r = try UpdateRatios(opt)
        // update 1e-4 against |(3, 4 − 1e-4)|
        #expect(Swift.abs(r.rows[0].ratio - 1e-4 / (9 + (4 - 1e-4) * (4 - 1e-4)).squareRoot()) < 1e-18)
        #expect(r.rows[0].advice.contains("too low"))
    }
}
