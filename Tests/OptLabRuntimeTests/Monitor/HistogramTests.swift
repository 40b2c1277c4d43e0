import Foundation
import Testing
@testable import OptLabRuntime

@Suite struct HistogramTests {
    @Test func histogramCountsMatchNumpy() throws {
        let x = try Tensor.randn([5000], dtype: .f64, generator: Generator(seed: 4))
        let ref = try NumpyOracle.run("""
        c, e = np.histogram(x, bins=17); c2, e2 = np.histogram(x, bins=5, range=(-1, 1))
        out = dict(c=c.astype(np.int32), e=e, c2=c2.astype(np.int32), e2=e2)
        """, ["x": x])
        let h = try Histogram(x, bins: 17)
        #expect(h.counts.map(Int32.init) == ref["c"]!.toInt32s())
        expectClose(h.edges, ref["e"]!.toDoubles(), tolerance: 1e-14)
        let h2 = try Histogram(x, bins: 5, range: (-1, 1))
        #expect(h2.counts.map(Int32.init) == ref["c2"]!.toInt32s())
        #expect(h2.excluded == 5000 - h2.counts.reduce(0, +))
        #expect(h.description.contains("5000 values"))
    }

    /// [0, 1, 2, 3, NaN, ∞, −∞, 1] in 3 bins: the finite extent [0, 3], edges
    /// 0, 1, 2, 3; 0 | 1, 1 | 2, 3 (the last bin closed); NaN and ±∞ left out.
    /// The same from an array, an f32 tensor's memory and an f64 tensor's.

    @Test func histogramsOfTensorsSkipNonFiniteValues() throws {
        let values: [Double] = [0, 1, 2, 3, .nan, .infinity, -.infinity, 1]
        for h in [try Histogram(values, bins: 3), try Histogram(Tensor.from(values, shape: [8], dtype: .f32), bins: 3),
                  try Histogram(Tensor.from(values, shape: [2, 4], dtype: .f64), bins: 3)] {
            #expect(h.edges == [0, 1, 2, 3])
            #expect(h.counts == [1, 2, 2])
            #expect(h.excluded == 3)
        }
        let none = try Histogram(Tensor.from([Double.nan, .infinity], shape: [2], dtype: .f32), bins: 2)
        #expect(none.edges == [0, 0.5, 1] && none.counts == [0, 0] && none.excluded == 2)
        let constant = try Histogram(Tensor.from([2, 2, 2], shape: [3], dtype: .f32), bins: 2)
        #expect(constant.edges == [1.5, 2, 2.5] && constant.counts == [0, 3])
    }
}
