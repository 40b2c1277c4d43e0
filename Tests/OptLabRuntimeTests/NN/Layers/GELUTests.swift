import Testing
@testable import OptLabRuntime

/// GELU against its closed form x·Φ(x) = ½·x·erfc(−x/√2) (values from
/// Python's math.erfc, which PyTorch's exact `gelu` matches in float64 up to
/// its erf form's cancellation at large negative x), and its gradient by
/// finite differences.
@Suite struct GELUTests {
    @Test func matchesXTimesTheNormalCDF() throws {
        // Φ(1) = 0.8413447460685429, Φ(2) = 0.9772498680518208, Φ(-0.5) = 0.3085375387259869
        let x = try Tensor.from([-1, 0, 0.5, 1, 2, -0.5, 6, -6], dtype: .f64)
        let want = [-0.15865525393145707, 0, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416,
                    -0.15426876936299344, 5.999999994080474, -5.919525870226207e-09]
        expectClose(try GELU()(x).toDoubles(), want, tolerance: 1e-13, floor: 1e-20)
        expectClose(try GELU()(x.to(.f32)).toDoubles(), want, tolerance: 2e-6, floor: 1e-6)
        #expect(GELU().summary == "GELU")
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        try expectGradientsMatch([try f64([3, 7], seed: 11).mul(2)]) { try $0[0].gelu() }
    }

    @Test func rejectsIntegers() throws {
        #expect(throws: RuntimeError.self) { try Tensor.from([1, 2], dtype: .i32).gelu() }
    }
}
