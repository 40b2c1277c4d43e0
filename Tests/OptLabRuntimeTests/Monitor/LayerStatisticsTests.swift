import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct LayerStatisticsTests {
    @Test func saturationAndDeadUnitsOnConstructedActivations() throws {
        let model = try Sequential([Linear(2, 4), ReLU(), Tanh()])
        model.watch()
        let lin = model.children[0].module as! Linear
        // Units: 0 always positive; 1 always negative (dead); 2 and 3 mixed. Then tanh of those.
        try lin.weight.copy(from: Tensor.from([10, 10, -10, -10, 10, -10, -10, 10], shape: [4, 2]))
        try lin.bias!.copy(from: Tensor.from([1, -1, 0, 0]))
        let x = try Tensor.from([1, 0, 0, 1, 2, 1], shape: [3, 2])
        try model(x).sum().backward()
        let st = try LayerStatistics(model)
        #expect(st.rows[1].dead == 0.25)           // one of four units is zero over the whole batch
        #expect(!st.rows[1].flags.contains("dead"), "25% is not above the 25% threshold")
        // tanh of relu outputs: values 0 (dead or negative) or ≥ tanh(9) > 0.99
        let a = model.lastActivations![2].toDoubles()
        let want = Double(a.filter { Swift.abs($0) > 0.99 }.count) / Double(a.count)
        #expect(st.rows[2].saturated == want && want > 0.25)
        #expect(st.rows[2].flags.contains("saturated"))
        #expect(st.rows[0].gradientStd != nil, "activation gradients are kept")
    }
}
