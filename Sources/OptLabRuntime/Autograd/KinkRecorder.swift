/// Records which branch every element of every kinked op took (relu's
/// `x > 0`, max's winner, clamp's side, …) as one running hash, so that a
/// gradient check can tell whether f(x+h) and f(x−h) went through the same
/// branches. If the hashes differ, a kink lies between the two points and the
/// numerical gradient there means nothing.
///
/// Off by default; ops only test `KinkRecorder.current` for nil (a
/// thread-local read), which is next to free.
public final class KinkRecorder {
    /// The recorder active on this thread, if any.
    static var current: KinkRecorder? {
        get { ThreadState.current.kinkRecorder }
        set { ThreadState.current.kinkRecorder = newValue }
    }

    /// FNV-1a over the branch bits of every op recorded, in order.
    public private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    /// How many kinked ops were recorded.
    public private(set) var ops = 0
    /// How many of them were on the differentiated path (an input needed
    /// grad): a kink on a detached branch does not make the objective kinked.
    public private(set) var pathOps = 0

    public init() {}

    /// Runs `body` with a fresh recorder active and returns its result and the
    /// recorder. Recorders nest: the outer one is restored afterwards.
    public static func recording<R>(_ body: () throws -> R) rethrows -> (R, KinkRecorder) {
        let recorder = KinkRecorder()
        let saved = current
        current = recorder
        defer { current = saved }
        let result = try body()
        return (result, recorder)
    }

    /// Folds one op's branch choices into the hash: bits packed 64 to a word.
    func record(_ op: String, _ bits: [Bool], onPath: Bool = true) {
        if onPath { pathOps += 1 }
        mixName(op)
        mix(UInt64(bits.count))
        var word: UInt64 = 0
        for (i, bit) in bits.enumerated() {
            if bit { word |= 1 << UInt64(i & 63) }
            if i & 63 == 63 { mix(word); word = 0 }
        }
        mix(word)
        ops += 1
    }

    /// Folds a list of small integers (the winning index of each max, the side of each clamp).
    func record(_ op: String, choices: [Int], onPath: Bool = true) {
        if onPath { pathOps += 1 }
        mixName(op)
        mix(UInt64(choices.count))
        for c in choices { mix(UInt64(bitPattern: Int64(c))) }
        ops += 1
    }

    private func mixName(_ op: String) {
        for byte in op.utf8 { mix(UInt64(byte)) }
    }

    private func mix(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            hash ^= x & 0xff
            hash = hash &* 0x0000_0100_0000_01b3
            x >>= 8
        }
    }
}
