import Foundation

/// A training trajectory seen from its end (Li et al. 2018, section 7): the
/// checkpoints' offsets from the last one, θᵢ − θₙ, and the two directions
/// that explain most of them (their top right singular vectors: random
/// directions in millions of dimensions are nearly orthogonal to any path,
/// so a random plane shows none of it). Each checkpoint is placed on the
/// plane by its projection; `explained` is the share of the offsets' squared
/// length along each direction.
extension Landscape {
    public struct Trajectory {
        public let directions: (first: [Tensor], second: [Tensor])
        public let path: [(alpha: Double, beta: Double)]
        public let explained: (first: Double, second: Double)
    }

    /// `sets` are the checkpoints in order, the last the centre. The offsets
    /// form a k×P matrix D; the top eigenpairs (μ, u) of its k×k Gram matrix
    /// DDᵀ give the directions v = Dᵀu/√μ and the coordinates Dv = u√μ.
    public static func trajectory(_ sets: [[Tensor]], like parameters: [Tensor]) throws -> Trajectory {
        let op = "monitor.landscape"
        guard sets.count >= 3 else { throw RuntimeError(.argument, op, "a trajectory needs at least 3 checkpoints (two offsets from the last), got \(sets.count)") }
        try check(sets, like: parameters, op: op, names: sets.indices.map { "checkpoint \($0 + 1) of the trajectory" })
        let centre = try sets.last!.map { try $0.to(.f64).toDoubles() }.flatMap { $0 }
        let offsets = try sets.dropLast().map { set -> [Double] in
            let flat = try set.map { try $0.to(.f64).toDoubles() }.flatMap { $0 }
            return zip(flat, centre).map { $0 - $1 }
        }
        let k = offsets.count, width = centre.count
        let d = try Tensor.from(offsets.flatMap { $0 }, shape: [k, width], dtype: .f64)
        let gram = try d.matmul(d.t())
        let (values, vectors) = try gram.symmetricEigen()   // ascending
        let mu = values.toDoubles(), u = vectors.toDoubles()  // column j: eigenvector j
        let total = mu.reduce(0) { $0 + Swift.max($1, 0) }
        guard total > 0 else { throw RuntimeError(.argument, op, "the checkpoints are all the same point: there is no trajectory to see") }
        func direction(_ j: Int) throws -> (unit: [Tensor], coordinates: [Double]) {
            let m = Swift.max(mu[j], 0)
            let column = (0..<k).map { u[$0 * k + j] }
            guard m > 1e-24 * total else { return (try parameters.map { try Tensor.zeros($0.shape, dtype: .f64) }, [Double](repeating: 0, count: k)) }
            let v = try Tensor.from(column, shape: [1, k], dtype: .f64).matmul(d).mul(1 / m.squareRoot()).toDoubles()
            var at = 0
            let unit = try parameters.map { p -> Tensor in
                defer { at += p.count }
                return try Tensor.from(Array(v[at..<(at + p.count)]), shape: p.shape, dtype: .f64)
            }
            return (unit, column.map { $0 * m.squareRoot() })
        }
        let first = try direction(k - 1), second = try direction(k - 2 >= 0 ? k - 2 : k - 1)
        var path = zip(first.coordinates, second.coordinates).map { (alpha: $0, beta: $1) }
        path.append((0, 0))   // the last checkpoint, the centre
        return Trajectory(directions: (first.unit, second.unit), path: path,
                          explained: (Swift.max(mu[k - 1], 0) / total, k >= 2 ? Swift.max(mu[k - 2], 0) / total : 0))
    }
}
