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
        return true
    }()

    /// An uninitialised buffer; callers write every element before reading.
    init(count: Int, dtype: DType) throws {
        _ = Storage.allocatorTuned
        let (bytes, overflow) = Swift.max(count, 1).multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes <= Storage.memoryLimit else {
            throw RuntimeError(.argument, "alloc", "a tensor of \(count) \(dtype.rawValue) elements needs \(Storage.gigabytes(overflow ? Int.max : bytes)), more than this machine's \(Storage.gigabytes(Storage.memoryLimit)) of memory")
        }
        // Plain malloc: its thread cache makes small tensors cheap (memalign
        // bypasses it), and every kernel loads unaligned, so 16 bytes suffice.
        guard let p = malloc(bytes) else {
            throw RuntimeError(.argument, "alloc", "cannot allocate \(Storage.gigabytes(bytes)) for a tensor of \(count) \(dtype.rawValue) elements")
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

    static func gigabytes(_ bytes: Int) -> String {
        bytes == Int.max ? "more than 2^63 bytes" : String((Double(bytes) / 1e8).rounded() / 10) + " GB"
    }

    var byteCount: Int { count * dtype.byteSize }

    @inline(__always)
    func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        raw.assumingMemoryBound(to: T.self)
    }
}
