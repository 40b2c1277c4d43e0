/// Random changes to each training image, drawn anew every batch: a
/// horizontal flip with probability ½ and a shift of up to `shift` pixels
/// each way (the vacated border zero, which a normalised image reads as its
/// mean). The draws come from a generator seeded by the run's seed, the epoch
/// and the batch, not from the batch-order generator, so a run resumed
/// mid-epoch draws the same changes for the batches it has left.
public struct Augmentation: Sendable, Equatable {
    public var flip: Bool
    public var shift: Int

    public init(flip: Bool = false, shift: Int = 0) throws {
        guard shift >= 0 else { throw RuntimeError(.argument, "train.fit", "augment.shift must be a non-negative number of pixels, got \(shift)") }
        (self.flip, self.shift) = (flip, shift)
    }

    public var isIdentity: Bool { !flip && shift == 0 }

    /// One image's change: mirrored or not, moved by (dy, dx).
    public struct Draw: Sendable, Equatable {
        public var flip: Bool, dy: Int, dx: Int
        public init(flip: Bool, dy: Int, dx: Int) { (self.flip, self.dy, self.dx) = (flip, dy, dx) }
    }

    /// The draws for batch `batch` of epoch `epoch` (both from 1), one per image.
    public func draws(count: Int, seed: UInt64, epoch: Int, batch: Int) -> [Draw] {
        // (a splitmix-style mix of the three, so neighbouring batches are unrelated streams)
        var h = seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(epoch) &* 0xBF58_476D_1CE4_E5B9 ^ UInt64(batch) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        let g = Generator(seed: h)
        let span = UInt64(2 * shift + 1)
        return (0..<count).map { _ in
            let f = flip && g.next() >> 63 == 1
            let dy = shift > 0 ? Int(g.next() % span) - shift : 0, dx = shift > 0 ? Int(g.next() % span) - shift : 0
            return Draw(flip: f, dy: dy, dx: dx)
        }
    }

    /// `x` ([N, C, H, W]) with image n changed by `draws[n]`: mirrored (when
    /// flipped), then moved down dy and right dx, so out[n, c, y, x] =
    /// in[n, c, y − dy, m(x − dx)] with m(j) = W − 1 − j when flipped (else j),
    /// zero where that falls outside the image.
    public static func apply(_ x: Tensor, _ draws: [Draw]) throws -> Tensor {
        guard x.rank == 4, x.shape[0] == draws.count else {
            throw RuntimeError(.shape, "train.fit", "augment needs batches of images [N, C, H, W], got \(describe(x.shape)) (flatten after augmenting: nn.Flatten in the model)")
        }
        let src = try x.to(.f32)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = try Tensor(uninitialized: x.shape, dtype: .f32)
        let s = src.ptr(Float.self), o = out.ptr(Float.self), plane = h * w
        for i in 0..<n {
            let d = draws[i]
            for ch in 0..<c {
                let base = (i * c + ch) * plane
                for y in 0..<h {
                    let sy = y - d.dy
                    let row = o + base + y * w
                    guard sy >= 0, sy < h else { row.update(repeating: 0, count: w); continue }
                    let from = s + base + sy * w
                    for xo in 0..<w {
                        let j = xo - d.dx
                        row[xo] = j >= 0 && j < w ? from[d.flip ? w - 1 - j : j] : 0
                    }
                }
            }
        }
        return try out.to(x.dtype)
    }
}
