import RealModule

/// The seedable random generator every random op draws from.
///
/// xoshiro256** (Blackman & Vigna) seeded through splitmix64; normals by
/// Box–Muller with the second value of each pair kept in the state, so that
/// saving and restoring `state` replays the exact same stream, normals
/// included. A gradient check does that to give f(x+h), f(x−h) and the
/// analytic pass the same dropout mask.
public final class Generator: @unchecked Sendable {
    /// Everything needed to replay the stream.
    public struct State: Equatable, Sendable {
        public var s: (UInt64, UInt64, UInt64, UInt64)
        public var spareNormal: Double?

        public init(s: (UInt64, UInt64, UInt64, UInt64), spareNormal: Double?) {
            self.s = s
            self.spareNormal = spareNormal
        }

        public static func == (a: State, b: State) -> Bool {
            a.s == b.s && a.spareNormal == b.spareNormal
        }
    }

    public var state: State

    public init(seed: UInt64 = 0) {
        state = State(s: (0, 0, 0, 0), spareNormal: nil)
        self.seed(seed)
    }

    /// The process-wide generator that `Tensor.rand`, dropout and shuffling
    /// use unless given another. The runtime is single-threaded per host (one
    /// Lua state, one training loop); a host running several threads gives
    /// each its own `Generator`, or runs each task under its own with
    /// `Generator.$scoped.withValue(Generator(seed: s)) { ... }` (the test
    /// suites do, where a test needs the default generator to itself while
    /// others run beside it).
    public static var `default`: Generator { scoped ?? shared }
    private static let shared = Generator(seed: 0)
    /// The generator `default` stands for within a task (and the tasks it starts).
    @TaskLocal public static var scoped: Generator?

    public func seed(_ seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = State(s: (splitmix(), splitmix(), splitmix(), splitmix()), spareNormal: nil)
    }

    @inline(__always)
    public func next() -> UInt64 {
        var (s0, s1, s2, s3) = state.s
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        state.s = (s0, s1, s2, s3)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, 1) with 24 random bits, for f32 tensors.
    @inline(__always)
    public func uniformFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// A standard normal value (Box–Muller; the pair's second value is kept).
    public func normal() -> Double {
        if let spare = state.spareNormal {
            state.spareNormal = nil
            return spare
        }
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * Double.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        state.spareNormal = r * Double.sin(theta)
        return r * Double.cos(theta)
    }

    /// Uniform integer in 0..<n without modulo bias (Lemire's method); 0 when n ≤ 1.
    public func below(_ n: Int) -> Int {
        guard n > 1 else { return 0 }
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A random permutation of 0..<n (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<max(n, 0))
        var i = p.count - 1
        while i > 0 {
            p.swapAt(i, below(i + 1))
            i -= 1
        }
        return p
    }
}
