import CAllocator
import Glibc
import Synchronization

/// A contiguous buffer of elements (malloc'd), shared by a tensor and
/// its reshaped views.
///
/// The buffer lives outside any garbage-collected heap, so the process keeps
/// a count of live bytes (`Storage.liveBytes`) that a host such as the Lua
/// bindings reads to decide when to collect.
public final class Storage: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let count: Int
    let dtype: DType
    /// Bumped by every in-place change of these elements (through any view):
    /// a backward pass compares it with the version an op saved (PyTorch's
    /// `_version`), so a value changed under a graph is an error, not a
    /// wrong gradient.
    var version = 0

    private static let live = Atomic<Int>(0), allocated = Atomic<Int>(0)

    /// Bytes of tensor storage alive right now, in this process.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }
    /// Bytes of tensor storage allocated since the process began (never decreases).
    public static var allocatedBytes: Int { allocated.load(ordering: .relaxed) }

    /// The most one buffer may take: the machine's physical memory. A larger
    /// request is refused with a message instead of being left to the kernel
    /// (overcommit would accept it, and the process would be killed when the
    /// pages are touched).
    public static let memoryLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages * size : Int.max
    }()

    /// glibc maps every buffer above its mmap threshold fresh and unmaps it
    /// on free, so a training loop page-faults through each big activation
    /// every step (measured: system time equal to user time on a convnet).
    /// Raising the threshold keeps them in the heap, reused step after step.
    private static let allocatorTuned: Bool = {
        optlab_tune_allocator()
        // under an address-space limit, OpenBLAS takes its buffers now, while there is room (MemoryLimit)
        try? MemoryLimit.prepareBLAS(op: "alloc")
        return true
    }()

    /// An uninitialised buffer; callers write every element before reading.
    init(count: Int, dtype: DType) throws {
        _ = Storage.allocatorTuned
        let (bytes, overflow) = Swift.max(count, 1).multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes <= Storage.memoryLimit else {
            throw RuntimeError(.argument, "alloc", "a tensor of \(count) \(dtype.rawValue) elements needs \(Storage.size(overflow ? Int.max : bytes)), more than this machine's \(Storage.size(Storage.memoryLimit)) of memory")
        }
        // Plain malloc: its thread cache makes small tensors cheap (memalign
        // bypasses it), and every kernel loads unaligned, so 16 bytes suffice.
        // (under an address-space limit, freed tensors count against it until malloc's heap is trimmed)
        guard let p = malloc(bytes) ?? (MemoryLimit.trimAfterFailure() ? malloc(bytes) : nil) else {
            throw RuntimeError(.argument, "alloc", "out of memory: cannot allocate \(Storage.size(bytes)) for a tensor of \(count) \(dtype.rawValue) elements "
                               + "(\(Storage.size(Storage.live.load(ordering: .relaxed))) held by live tensors\(MemoryLimit.describe))")
        }
        self.count = count
        self.dtype = dtype
        raw = p
        Storage.live.add(bytes, ordering: .relaxed)
        Storage.allocated.add(bytes, ordering: .relaxed)
    }

    /// A buffer of one element, for scalars. Failing to get 64 bytes means
    /// the process cannot go on, so this one does not throw.
    init(scalarOf dtype: DType) {
        count = 1
        self.dtype = dtype
        guard let p = malloc(8) else { abort() }
        raw = p
        Storage.live.add(dtype.byteSize, ordering: .relaxed)
    }

    deinit {
        Storage.live.subtract(Swift.max(count, 1) * dtype.byteSize, ordering: .relaxed)
        free(raw)
    }

    /// Throws an out-of-memory error under `op` unless `bytes` can be had now.
    /// For buffers that are Swift arrays (a file's bytes, a kernel's scratch):
    /// Swift stops the process when it cannot allocate one, so the room is
    /// taken and given back first (the array then reuses it).
    public static func ensureRoom(_ bytes: Int, op: String, for what: String) throws {
        guard bytes > 1 << 16 else { return }
        guard let p = malloc(bytes) ?? (MemoryLimit.trimAfterFailure() ? malloc(bytes) : nil) else {
            throw RuntimeError(.argument, op, "out of memory: cannot allocate \(size(bytes)) for \(what) "
                               + "(\(size(liveBytes)) held by live tensors\(MemoryLimit.describe))")
        }
        free(p)
    }

    /// "47.2 MB", "1.5 GB": the unit that keeps the number between 1 and 1000.
    static func size(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 2^63 bytes" }
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var v = Double(bytes), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", v, units[u])
    }

    var byteCount: Int { count * dtype.byteSize }

    @inline(__always)
    func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        raw.assumingMemoryBound(to: T.self)
    }
}
