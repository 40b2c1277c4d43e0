import CAllocator
import CBLAS
import Glibc
import Synchronization

/// The process's address-space limit (`ulimit -v`, or `ulimit -d`, which
/// since Linux 4.7 counts anonymous mappings too), and OpenBLAS under one.
///
/// OpenBLAS takes its scratch buffers (128 MiB each, one per thread of a
/// call) with malloc the first time it needs them, keeps them for the life of
/// the process, and retries a failing malloc forever: under a limit, a first
/// matrix product when memory is short would spin at 100% CPU instead of
/// failing. So where a limit is set, before the first product (and again if
/// the thread count grows) optlab checks that the address space for those
/// buffers is there (ending with an out-of-memory error when it is not) and
/// then has OpenBLAS take them, with a product large enough to use every
/// thread. That happens first at the process's first tensor, before tensors
/// fill the address space (freed tensors stay in malloc's heaps, counted
/// against the limit). With no limit (the usual case) malloc does not fail
/// this way and nothing is done.
public enum MemoryLimit {
    /// The smaller of the two limits, in bytes, or nil when there is none.
    public static let bytes: Int? = {
        // (RLIM_INFINITY, all bits set, is imported as -1, which no rlim_t holds)
        let infinity = rlim_t.max
        var smallest = infinity
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var r = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &r) == 0, r.rlim_cur != infinity { smallest = Swift.min(smallest, r.rlim_cur) }
        }
        return smallest == infinity ? nil : Int(clamping: smallest)
    }()

    /// For messages: ", under an address-space limit of 1.5 GB" where one is set.
    static var describe: String { bytes.map { ", under an address-space limit of \(Storage.size($0))" } ?? "" }

    /// What OpenBLAS may allocate: a 128 MiB buffer (and a page) per thread,
    /// and a malloc arena (64 MiB) for a thread new to malloc.
    static func blasScratch(threads: Int) -> Int { threads * (128 << 20 + 4096) + (64 << 20) }

    /// The thread count OpenBLAS has its buffers for (0: none yet).
    private static let ready = Mutex(0)

    /// Under a limit, makes sure OpenBLAS holds its buffers before a product,
    /// or throws an out-of-memory error under `op`.
    public static func prepareBLAS(op: String) throws {
        guard bytes != nil else { return }
        let threads = Parallel.threads
        try ready.withLock { have in
            guard have < threads else { return }
            let need = blasScratch(threads: threads)
            if !addressSpaceFree(need) {
                // freed tensors stay in malloc's heap, counted against the limit, until trimmed
                optlab_trim_heap()
                guard addressSpaceFree(need) else {
                    throw RuntimeError(.argument, op, "out of memory: a matrix product needs up to \(Storage.size(need)) of BLAS scratch space "
                                       + "(\(threads) threads), and less than that is left (\(Storage.size(Storage.liveBytes)) held by live tensors\(describe))")
                }
            }
            // a product big enough for OpenBLAS to split over every thread
            let n = 512
            let a = [Float](repeating: 0, count: n * n)
            var c = [Float](repeating: 0, count: n * n)
            a.withUnsafeBufferPointer { p in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, p.baseAddress, Int32(n),
                            p.baseAddress, Int32(n), 0, &c, Int32(n))
            }
            have = threads
        }
    }

    /// Whether `bytes` of address space can be mapped now (mapped and unmapped at once).
    private static func addressSpaceFree(_ bytes: Int) -> Bool {
        let p = mmap(nil, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard p != MAP_FAILED else { return false }
        munmap(p, bytes)
        return true
    }

    /// Trims malloc's heaps when an allocation failed, so a retry can use
    /// what freed tensors left there; whether anything was given back.
    static func trimAfterFailure() -> Bool { bytes != nil && optlab_trim_heap() != 0 }
}
