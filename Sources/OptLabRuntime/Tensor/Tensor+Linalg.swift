import CBLAS

/// Decompositions by LAPACK (the routines Debian's OpenBLAS carries): the
/// eigendecomposition of a symmetric matrix and the QR factorisation, as
/// torch.linalg's `eigh` and `qr` define them. Not differentiated: they
/// serve the rules and measurements that need a basis (SOAP's eigenbases,
/// a Hessian's Lanczos matrix), not a loss.
extension Tensor {
    /// Eigenvalues (ascending) and eigenvectors (the columns of `vectors`,
    /// `vectors[:, i]` for `values[i]`) of a symmetric matrix; only its upper
    /// triangle is read. The sign of each eigenvector is LAPACK's.
    public func symmetricEigen() throws -> (values: Tensor, vectors: Tensor) {
        try requireFloat("eigh")
        guard rank == 2, shape[0] == shape[1] else {
            throw RuntimeError(.shape, "eigh", "expected a square matrix, got shape \(describe(shape))")
        }
        let n = shape[0]
        // column-major = row-major transposed, the same symmetric matrix; the upper
        // triangle of the row-major matrix is the lower one LAPACK sees
        let a = try clone(), w = try Tensor(uninitialized: [n], dtype: dtype)
        guard n > 0 else { return (w, a) }
        var info: Int32 = 0
        if dtype == .f32 {
            info = Self.syevd(n, a.ptr(Float.self), w.ptr(Float.self), ssyevd_)
        } else {
            info = Self.syevd(n, a.ptr(Double.self), w.ptr(Double.self), dsyevd_)
        }
        if info > 0 { throw RuntimeError(.argument, "eigh", "LAPACK's eigensolver did not converge (\(info) off-diagonal elements did not reach zero); is the matrix finite?") }
        if info < 0 { throw RuntimeError(.argument, "eigh", "LAPACK rejected argument \(-info)") }
        // LAPACK's column j (eigenvector j) is row j of the row-major buffer
        return (w, try a.t())
    }

    private typealias SYEVD<T> = (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<T>, UnsafePointer<Int32>,
                                  UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafePointer<Int32>, UnsafeMutablePointer<Int32>,
                                  UnsafePointer<Int32>, UnsafeMutablePointer<Int32>, Int, Int) -> Void

    private static func syevd<T: FloatElement>(_ n: Int, _ a: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ routine: SYEVD<T>) -> Int32 {
        var (size, info, lwork, liwork) = (Int32(n), Int32(0), Int32(-1), Int32(-1))
        var workSize = T(0), iworkSize = Int32(0)
        // a workspace query, then the decomposition
        routine("V", "L", &size, a, &size, w, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1)
        guard info == 0 else { return info }
        lwork = Int32(workSize)
        liwork = iworkSize
        let work = UnsafeMutablePointer<T>.allocate(capacity: Int(lwork)), iwork = UnsafeMutablePointer<Int32>.allocate(capacity: Int(liwork))
        defer { work.deallocate(); iwork.deallocate() }
        routine("V", "L", &size, a, &size, w, work, &lwork, iwork, &liwork, &info, 1, 1)
        return info
    }

    /// The reduced QR factorisation of a matrix [m, n]: Q [m, k] with
    /// orthonormal columns and R [k, n] upper triangular, k = min(m, n), by
    /// Householder reflections (LAPACK's geqrf and orgqr, as torch.linalg.qr).
    public func qr() throws -> (q: Tensor, r: Tensor) {
        try requireFloat("qr")
        guard rank == 2 else {
            throw RuntimeError(.shape, "qr", "expected a matrix, got shape \(describe(shape))")
        }
        let (m, n) = (shape[0], shape[1]), k = Swift.min(m, n)
        let r = try Tensor.zeros([k, n], dtype: dtype)
        guard k > 0 else { return (try Tensor.zeros([m, k], dtype: dtype), r) }
        let a = try t()  // column-major A
        var info: Int32 = 0
        if dtype == .f32 {
            info = Self.householder(m, n, a.ptr(Float.self), r.ptr(Float.self), sgeqrf_, sorgqr_)
        } else {
            info = Self.householder(m, n, a.ptr(Double.self), r.ptr(Double.self), dgeqrf_, dorgqr_)
        }
        if info != 0 { throw RuntimeError(.argument, "qr", "LAPACK rejected argument \(-info)") }
        // Q's k columns are the first k·m numbers of the column-major buffer
        let q = try a.reshape([n, m]).narrow(dim: 0, start: 0, length: k).t()
        return (q, r)
    }

    private typealias GEQRF<T> = (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafeMutablePointer<T>, UnsafePointer<Int32>,
                                  UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafePointer<Int32>, UnsafeMutablePointer<Int32>) -> Void
    private typealias ORGQR<T> = (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafeMutablePointer<T>, UnsafePointer<Int32>,
                                  UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafePointer<Int32>, UnsafeMutablePointer<Int32>) -> Void

    /// geqrf on the column-major `a` [m, n], R copied out (row-major [k, n]), then orgqr forms Q in `a`.
    private static func householder<T: FloatElement>(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<T>, _ r: UnsafeMutablePointer<T>,
                                                     _ geqrf: GEQRF<T>, _ orgqr: ORGQR<T>) -> Int32 {
        let k = Swift.min(m, n)
        var (rows, cols, kk, info, query) = (Int32(m), Int32(n), Int32(k), Int32(0), Int32(-1))
        let tau = UnsafeMutablePointer<T>.allocate(capacity: k)
        defer { tau.deallocate() }
        var size1 = T(0), size2 = T(0)
        geqrf(&rows, &cols, a, &rows, tau, &size1, &query, &info)
        guard info == 0 else { return info }
        orgqr(&rows, &kk, &kk, a, &rows, tau, &size2, &query, &info)
        guard info == 0 else { return info }
        var lwork = Int32(Swift.max(size1, size2, T(1)))
        let work = UnsafeMutablePointer<T>.allocate(capacity: Int(lwork))
        defer { work.deallocate() }
        geqrf(&rows, &cols, a, &rows, tau, work, &lwork, &info)
        guard info == 0 else { return info }
        for j in 0..<n { for i in 0...Swift.min(j, k - 1) { r[i * n + j] = a[j * m + i] } }
        orgqr(&rows, &kk, &kk, a, &rows, tau, work, &lwork, &info)
        return info
    }
}
