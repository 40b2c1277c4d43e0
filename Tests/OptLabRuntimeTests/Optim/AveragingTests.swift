import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct AveragingTests {
    @Test func emaAndPolyakFollowTheirFormulas() throws {
        let model = try Linear(1, 1, bias: false)
        try model.to(.f64)
        let w = model.weight
        w.fill(0)
        let ema = try ParameterAverage(model, kind: .ema(decay: 0.9))
        let polyak = try ParameterAverage(model, kind: .polyak)
        var e = 0.0
        for v in [1.0, 2, 3] {
            w.fill(v)
            try ema.update()
            try polyak.update()
            e = 0.9 * e + 0.1 * v
        }
        #expect(Swift.abs(try (ema.model() as? Linear)!.weight.item() - e) < 1e-15)
        #expect(Swift.abs(try (polyak.model() as? Linear)!.weight.item() - 2) < 1e-15)
    }
}
