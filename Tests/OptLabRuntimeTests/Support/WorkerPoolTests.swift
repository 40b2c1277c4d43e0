import Foundation
import Testing
@testable import OptLabRuntime

/// The worker threads behind `Parallel`: every chunk runs exactly once; a
/// job asked for inside a job, or from several threads at once, runs on
/// its caller with the same chunks; the sums are the same bits whoever ran
/// which range.
@Suite(.serialized) struct WorkerPoolTests {
    @Test func everyChunkRunsOnce() {
        for chunks in [2, 3, 7] {
            // other suites run beside this one and may hold the pool: a refused job runs
            // its chunks on the caller (each once all the same); ask again until the pool takes one
            var taken = false
            for _ in 0..<100_000 where !taken {
                var hits = [Int](repeating: 0, count: chunks)
                hits.withUnsafeMutableBufferPointer { h in
                    let slots = Slots(base: h.baseAddress!)
                    taken = WorkerPool.shared.run(chunks: chunks) { i in slots.base[i] += 1 }
                }
                #expect(hits == [Int](repeating: 1, count: chunks))
                if !taken { sched_yield() }
            }
            #expect(taken)
        }
    }

    @Test func aJobInsideAJobRunsOnItsCaller() {
        let n = 1 << 18
        var inner = [Int](repeating: 0, count: 4)
        inner.withUnsafeMutableBufferPointer { h in
            let slots = Slots(base: h.baseAddress!)
            _ = WorkerPool.shared.run(chunks: 2) { i in
                // the pool is busy: this is refused and Parallel runs its ranges here, in order
                Parallel.forRanges(n) { r in slots.base[2 * i + (r.lowerBound == 0 ? 0 : 1)] += r.count }
            }
        }
        // each outer chunk saw its inner job cut into the same ranges as alone
        let alone = Swift.min(Parallel.threads, 2) == 2 ? [n / 2, n - n / 2] : [n, 0]
        #expect(inner == alone + alone)
    }

    /// Parallel.sum from four threads at once (most find the pool busy and run
    /// inline) equals the sum on one, bit for bit, for each thread count.
    @Test func sumsAreTheSameBitsFromEveryCaller() async {
        let n = 300_007
        let values = (0..<n).map { Double($0 % 97) * 0.1 + 1e-7 * Double($0) }
        // (the cut pinned to 2 ranges: other suites change Parallel.threads while this runs)
        let want = values.withUnsafeBufferPointer { v in Parallel.sum(n, threads: 2) { r in r.reduce(0.0) { $0 + v[$1] } } }
        let results = await withTaskGroup(of: Double.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    values.withUnsafeBufferPointer { v in Parallel.sum(n, threads: 2) { r in r.reduce(0.0) { $0 + v[$1] } } }
                }
            }
            var all: [Double] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.allSatisfy { $0.bitPattern == want.bitPattern })
    }

    private struct Slots: @unchecked Sendable { let base: UnsafeMutablePointer<Int> }
}
