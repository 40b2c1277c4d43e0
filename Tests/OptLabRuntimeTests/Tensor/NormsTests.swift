import Foundation
import Testing
@testable import OptLabRuntime

/// logsumexp and p-norms against numpy in f64, with PyTorch's infinities,
/// and their gradients against finite differences.
@Suite struct NormsTests {
    @Test func valuesMatchNumpy() throws {
        let x = try f64([3, 4, 5], seed: 21).mul(4)
        let ref = try NumpyOracle.run("""
        def lse(a, axis=None, keepdims=False):
            m = np.max(a, axis=axis, keepdims=True)
            r = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
            return r if keepdims or axis is None else np.squeeze(r, axis=axis)
        out = dict(all=np.array(lse(x).reshape(())), d1=lse(x, 1), d2k=lse(x, 2, True),
                   l1=np.sum(np.abs(x), axis=1), l2=np.sqrt(np.sum(x * x, axis=2, keepdims=True)),
                   linf=np.max(np.abs(x)), l3=np.sum(np.abs(x) ** 3, axis=0) ** (1 / 3))
        """, ["x": x])
        try expectClose(x.logsumexp().toDoubles(), ref["all"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.logsumexp(dim: 1).toDoubles(), ref["d1"]!.toDoubles(), tolerance: 1e-14)
        #expect(try x.logsumexp(dim: 2, keepDim: true).shape == [3, 4, 1])
        try expectClose(x.logsumexp(dim: 2, keepDim: true).toDoubles(), ref["d2k"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.norm(p: 1, dim: 1).toDoubles(), ref["l1"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.norm(p: 2, dim: 2, keepDim: true).toDoubles(), ref["l2"]!.toDoubles(), tolerance: 1e-14)
        try expectClose(x.norm(p: .infinity).toDoubles(), ref["linf"]!.toDoubles(), tolerance: 0)
        try expectClose(x.norm(p: 3, dim: 0).toDoubles(), ref["l3"]!.toDoubles(), tolerance: 1e-13)
    }

    @Test func logsumexpKeepsInfinitiesAsPyTorch() throws {
        let values: [Double] = [-.infinity, -.infinity, 1, .infinity, 1000, 1000]
        let x = try Tensor.from(values, dtype: .f64).reshape([3, 2])
        let r = try x.logsumexp(dim: 1).toDoubles()
        #expect(r[0] == -.infinity && r[1] == .infinity)
        expectClose([r[2]], [1000 + Foundation.log(2)], tolerance: 1e-15)
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let x = try f64([3, 4], seed: 22)
        try expectGradientsMatch([x]) { try $0[0].logsumexp(dim: 1) }
        try expectGradientsMatch([x]) { try $0[0].logsumexp() }
        try expectGradientsMatch([x]) { try $0[0].norm(p: 1, dim: 0) }
        try expectGradientsMatch([x]) { try $0[0].norm(p: 2, dim: 1, keepDim: true) }
        try expectGradientsMatch([x]) { try $0[0].norm(p: 3) }
        try expectGradientsMatch([x]) { try $0[0].norm(p: .infinity, dim: 1) }
    }
}
