import Testing
@testable import OptLabRuntime

/// Where a function has no derivative, the gradient is a choice; optlab
/// makes PyTorch's, so a ported script's gradients (and gradient checks)
/// come out the same. The expected numbers were printed by PyTorch 2.15
/// (f64) for the same inputs.
@Suite struct SubgradientTests {
    let values = [0.0, 1, 2, 2, -1]

    func gradient(_ f: (Tensor) throws -> Tensor) throws -> [Double] {
        let x = try Tensor.from(values, dtype: .f64).requiringGrad()
        try f(x).backward()
        return x.grad!.toDoubles()
    }

    @Test func clampAtABoundPassesNoGradient() throws {
        #expect(try gradient { try $0.clamp(min: 0, max: 1).sum() } == [0, 0, 0, 0, 0])
        #expect(try gradient { try $0.clamp(min: 0).sum() } == [0, 1, 1, 1, 0])
        #expect(try gradient { try $0.clamp(max: 2).sum() } == [1, 1, 0, 0, 1])
        #expect(try gradient { try $0.clamp(min: -2, max: 3).sum() } == [1, 1, 1, 1, 1])
    }

    @Test func maxAndMinOverAllElementsSplitTies() throws {
        #expect(try gradient { try $0.max() } == [0, 0, 0.5, 0.5, 0])
        #expect(try gradient { try $0.min() } == [0, 0, 0, 0, 1])
        #expect(try gradient { try $0.mul(0).max() } == [0.2, 0.2, 0.2, 0.2, 0.2].map { $0 * 0 }, "chain rule through the ties")
        let all = try Tensor.from([3.0, 3, 3, 3], dtype: .f64).requiringGrad()
        try all.max().mul(2).backward()
        #expect(all.grad!.toDoubles() == [0.5, 0.5, 0.5, 0.5])
    }

    @Test func maxAlongADimensionGoesToTheIndex() throws {
        // PyTorch's max(dim): the gradient follows the returned index (the first of a tie)
        let m = try Tensor.from([1.0, 1, 2, 0], shape: [2, 2], dtype: .f64).requiringGrad()
        try m.max(dim: 1).sum().backward()
        #expect(m.grad!.toDoubles() == [1, 0, 1, 0])
    }

    @Test func maximumAndMinimumSplitTies() throws {
        let other = [0.0, 1, 3, 2, -1]
        func both(_ f: (Tensor, Tensor) throws -> Tensor) throws -> ([Double], [Double]) {
            let x = try Tensor.from(values, dtype: .f64).requiringGrad(), y = try Tensor.from(other, dtype: .f64).requiringGrad()
            try f(x, y).sum().backward()
            return (x.grad!.toDoubles(), y.grad!.toDoubles())
        }
        let maximum = try both { try $0.maximum($1) }
        #expect(maximum.0 == [0.5, 0.5, 0, 0.5, 0.5] && maximum.1 == [0.5, 0.5, 1, 0.5, 0.5])
        let minimum = try both { try $0.minimum($1) }
        #expect(minimum.0 == [0.5, 0.5, 1, 0.5, 0.5] && minimum.1 == [0.5, 0.5, 0, 0.5, 0.5])
    }

    @Test func reluAndAbsAtZero() throws {
        #expect(try gradient { try $0.relu().sum() } == [0, 1, 1, 1, 0])
        #expect(try gradient { try $0.abs().sum() } == [0, 1, 1, 1, -1])
    }

    @Test func i32PowAndMeanAreFloatOperations() throws {
        let i = try Tensor.from([1.0, 2, 3], dtype: .i32)
        let p = try i.pow(2), m = try i.mean()
        #expect(p.dtype == .f32 && p.toDoubles() == [1, 4, 9])
        #expect(try i.pow(0.5).toDoubles().map { Float($0) } == [1, Float(2).squareRoot(), Float(3).squareRoot()])
        #expect(m.dtype == .f32)
        #expect(try m.item() == 2)
        let rows = try Tensor.from([1.0, 2, 3, 4], shape: [2, 2], dtype: .i32).mean(dim: 0)
        #expect(rows.dtype == .f32 && rows.toDoubles() == [2, 3])
    }
}
