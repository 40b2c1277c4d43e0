import Foundation
import Testing
@testable import OptLabRuntime

/// LAPACK's eigh and QR through the Fortran interface (column-major, hidden
/// string lengths): against numpy's printed values (same Householder
/// convention) and the decompositions' defining identities.
@Suite struct LinalgTests {
    static func close(_ a: [Double], _ b: [Double], _ tol: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tol }
    }

    @Test(arguments: [DType.f64, .f32]) func eighMatchesNumpy(dtype: DType) throws {
        let b = try Tensor.from([4, 1, 2, 1, 3, 0, 2, 0, 5], shape: [3, 3], dtype: dtype)
        let (w, v) = try b.symmetricEigen()
        let tol = dtype == .f64 ? 1e-12 : 1e-5
        // np.linalg.eigh([[4,1,2],[1,3,0],[2,0,5]])
        #expect(Self.close(w.toDoubles(), [1.85489731, 3.4760236, 6.66907909], max(tol, 1e-8)))
        let numpy: [[Double]] = [[-0.67931306, 0.59323331, 0.43198148], [-0.37436195, -0.7864357, 0.49129626],
                                 [-0.63117897, -0.17202654, -0.75632002]]
        let columns = try v.t().toDoubles()
        for i in 0..<3 {
            let got = Array(columns[(3 * i)..<(3 * i + 3)])
            let dot = zip(got, numpy[i]).map { $0 * $1 }.reduce(0, +)
            #expect(Swift.abs(Swift.abs(dot) - 1) < max(tol, 1e-8), "eigenvector \(i): \(got) vs ±\(numpy[i])")
        }
    }

    @Test func eighReconstructsARandomSymmetricMatrix() throws {
        let r = try Tensor.randn([12, 12], dtype: .f64, generator: Generator(seed: 5))
        let a = try r.add(r.t())
        let (w, v) = try a.symmetricEigen()
        let values = w.toDoubles()
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }, "eigenvalues ascending")
        let rebuilt = try v.mul(w.reshape([1, 12])).matmul(v.t())
        #expect(Self.close(rebuilt.toDoubles(), a.toDoubles(), 1e-11))
        #expect(Self.close(try v.t().matmul(v).toDoubles(), try Tensor.eye(12, dtype: .f64).toDoubles(), 1e-12))
    }

    @Test func qrMatchesNumpy() throws {
        let a = try Tensor.from([1, 2, 3, 4, 5, 6], shape: [3, 2], dtype: .f64)
        let (q, r) = try a.qr()
        #expect(q.shape == [3, 2] && r.shape == [2, 2])
        #expect(Self.close(q.toDoubles(), [-0.16903085, 0.89708523, -0.50709255, 0.27602622, -0.84515425, -0.34503278], 1e-8))
        #expect(Self.close(r.toDoubles(), [-5.91607978, -7.43735744, 0, 0.82807867], 1e-8))
    }

    @Test(arguments: [(7, 4), (4, 7), (5, 5)]) func qrOfAnyShapeRebuildsTheMatrix(m: Int, n: Int) throws {
        let a = try Tensor.randn([m, n], dtype: .f64, generator: Generator(seed: UInt64(m * 10 + n)))
        let (q, r) = try a.qr()
        let k = min(m, n)
        #expect(q.shape == [m, k] && r.shape == [k, n])
        #expect(Self.close(try q.matmul(r).toDoubles(), a.toDoubles(), 1e-12))
        #expect(Self.close(try q.t().matmul(q).toDoubles(), try Tensor.eye(k, dtype: .f64).toDoubles(), 1e-12))
        let rv = r.toDoubles()
        for i in 0..<k { for j in 0..<min(i, n) { #expect(rv[i * n + j] == 0, "R[\(i), \(j)] below the diagonal") } }
    }

    @Test func badShapesAreErrors() throws {
        #expect(throws: RuntimeError.self) { try Tensor.zeros([2, 3], dtype: .f64).symmetricEigen() }
        #expect(throws: RuntimeError.self) { try Tensor.zeros([2, 3, 4], dtype: .f64).qr() }
    }
}
