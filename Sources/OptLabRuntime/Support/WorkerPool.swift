import Foundation
import Synchronization

/// The threads behind `Parallel`: one job at a time, cut into a fixed number
/// of chunks that the calling thread and the workers claim in turn.
///
/// After a job, a worker keeps watching for the next one for a while
/// (yielding the core each time round, so OpenBLAS's threads and the
/// caller's go first) before it sleeps: a training step runs its parallel
/// ops microseconds apart, and a sleeping thread took long enough to wake
/// that two threads ran a 1M-float exp only 1.3–1.5× faster than one
/// (libdispatch's `concurrentPerform`, which this replaces); with workers
/// awake, 1.8–1.97× (a C loop with the same kernels).
///
/// Which thread runs a chunk varies; the chunks do not, so results are the
/// same bit for bit. A job asked for while one runs (a chunk's body calling
/// `Parallel` again, or a second host thread) runs on its caller alone, its
/// chunks in order.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long a worker watches for work after its last job before sleeping.
    static let watchNanoseconds: UInt64 = 200_000

    /// Odd while a job is open, even otherwise; every open and close adds 1.
    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    /// Workers inside the open job (they may read `job` only while counted).
    private let active = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// Started so far; changed only by the job's caller (who holds `busy`).
    private var workers = 0

    private struct Job {
        let chunks: Int
        let body: (Int) -> Void
    }
    /// Written by the caller only while the job is closed and no worker is
    /// counted in it; read by workers only while counted in an open job.
    @exclusivity(unchecked) private var job: Job?

    /// Runs `body(i)` for every chunk i in `0..<chunks`: on the calling thread
    /// and `chunks - 1` workers (true), or, when a job is already running, on
    /// the calling thread alone, in order (false).
    @discardableResult
    func run(chunks: Int, _ body: @escaping (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<chunks { body(i) }
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        startWorkers(chunks - 1)
        job = Job(chunks: chunks, body: body)
        nextChunk.store(0, ordering: .relaxed)
        unfinished.store(chunks, ordering: .relaxed)
        generation.add(1, ordering: .sequentiallyConsistent)   // open: publishes the job
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            wake.lock()
            wake.broadcast()
            wake.unlock()
        }
        claimChunks()
        while unfinished.load(ordering: .acquiring) > 0 { sched_yield() }
        generation.add(1, ordering: .sequentiallyConsistent)   // close
        while active.load(ordering: .acquiring) > 0 { sched_yield() }
        job = nil
        return true
    }

    private func claimChunks() {
        guard let job else { return }
        while true {
            let i = nextChunk.add(1, ordering: .relaxed).oldValue
            if i >= job.chunks { return }
            job.body(i)
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    private func startWorkers(_ wanted: Int) {
        while workers < wanted {
            let thread = Thread { [self] in work() }
            thread.name = "optlab worker \(workers + 1)"
            thread.start()
            workers += 1
        }
    }

    private func work() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            seen = waitForChange(from: seen)
            guard seen & 1 == 1 else { continue }
            active.add(1, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) == seen { claimChunks() }
            active.subtract(1, ordering: .releasing)
        }
    }

    /// The next generation: watched for `watchNanoseconds`, then slept for.
    private func waitForChange(from seen: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + WorkerPool.watchNanoseconds
        var polls = 0
        while true {
            let g = generation.load(ordering: .acquiring)
            if g != seen { return g }
            polls += 1
            if polls & 63 == 0, DispatchTime.now().uptimeNanoseconds > deadline { break }
            sched_yield()
        }
        wake.lock()
        defer { wake.unlock() }
        sleepers.add(1, ordering: .sequentiallyConsistent)
        defer { sleepers.subtract(1, ordering: .relaxed) }
        while true {
            let g = generation.load(ordering: .sequentiallyConsistent)
            if g != seen { return g }
            wake.wait()
        }
    }
}
