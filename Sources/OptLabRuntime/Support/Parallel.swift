import CBLAS
import Foundation

/// The one thread count of the runtime, shared with OpenBLAS: elementwise
/// ops, reductions, convolutions' patch copies and BatchNorm split large
/// work into `threads` chunks; GEMM runs on as many BLAS threads.
///
/// `OPTLAB_NUM_THREADS` sets it at start (default: the cores). Work is cut
/// into chunks by the thread count alone, never by timing, so with a fixed
/// count the results are the same bit for bit from run to run.
public enum Parallel {
    nonisolated(unsafe) private static var count: Int = {
        let env = ProcessInfo.processInfo.environment["OPTLAB_NUM_THREADS"].flatMap(Int.init)
        let n = Swift.max(1, Swift.min(env ?? ProcessInfo.processInfo.activeProcessorCount, 256))
        openblas_set_num_threads(Int32(n))
        return n
    }()

    /// Threads used by large operations (and by BLAS).
    public static var threads: Int {
        get { count }
        set {
            count = Swift.max(1, Swift.min(newValue, 256))
            openblas_set_num_threads(Int32(count))
        }
    }

    /// Below this many elements an elementwise op stays on one thread: the
    /// hand-off costs more than it saves.
    static let minimumElements = 1 << 16

    /// How many ranges `[0, n)` is cut into: 1 below `grain`, else up to
    /// `threads`, each at least half a grain.
    @inline(__always)
    private static func ranges(_ n: Int, grain: Int, threads: Int = count) -> Int {
        n < grain ? 1 : Swift.min(threads, Swift.max(1, n / Swift.max(grain / 2, 1)))
    }

    /// Calls `body` on `[0, n)` cut into up to `threads` contiguous ranges,
    /// in parallel; on the calling thread alone when n is below `grain`.
    @inline(__always)
    static func forRanges(_ n: Int, grain: Int = minimumElements, _ body: (Range<Int>) -> Void) {
        let t = ranges(n, grain: grain)
        if t <= 1 {
            body(0..<n)
            return
        }
        withoutActuallyEscaping(body) { body in
            _ = WorkerPool.shared.run(chunks: t) { i in body(i * n / t ..< (i + 1) * n / t) }
        }
    }

    /// The sum of `body` over `[0, n)` cut as `forRanges` cuts it, added in
    /// range order: the same bits for the same thread count.
    /// `threads` (for tests) pins the cut whatever the thread count is meanwhile.
    static func sum(_ n: Int, grain: Int = minimumElements, threads: Int? = nil, _ body: (Range<Int>) -> Double) -> Double {
        let t = ranges(n, grain: grain, threads: threads ?? count)
        if t <= 1 { return body(0..<n) }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: t) { parts in
            let slots = parts.baseAddress!
            withoutActuallyEscaping(body) { body in
                // each range's sum lands in its own slot, whoever ran it
                _ = WorkerPool.shared.run(chunks: t) { i in slots[i] = body(i * n / t ..< (i + 1) * n / t) }
            }
            return parts.reduce(0, +)
        }
    }

    /// Two sums at once, each added in range order as `sum` adds.
    static func sums<V: SIMD>(_ n: Int, grain: Int = minimumElements, _ body: (Range<Int>) -> V) -> V where V.Scalar == Double {
        let t = ranges(n, grain: grain)
        if t <= 1 { return body(0..<n) }
        return withUnsafeTemporaryAllocation(of: V.self, capacity: t) { parts in
            let slots = parts.baseAddress!
            withoutActuallyEscaping(body) { body in
                _ = WorkerPool.shared.run(chunks: t) { i in slots[i] = body(i * n / t ..< (i + 1) * n / t) }
            }
            return parts.reduce(V(), +)
        }
    }

    /// Calls `body(i)` for every i in `0..<n` (each a sizeable piece of work:
    /// an image, a channel), spread over the threads in contiguous blocks.
    static func forEach(_ n: Int, _ body: (Int) -> Void) {
        forRanges(n, grain: 2) { r in for i in r { body(i) } }
    }

}
