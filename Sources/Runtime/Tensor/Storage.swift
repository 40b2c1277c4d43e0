import Synchronization

/// A contiguous, 64-byte aligned buffer of elements, shared by a tensor and
/// its reshaped views.
///
/// The buffer lives outside any garbage-collected heap, so the process keeps
/// a count of live bytes (`Storage.liveBytes`) that a host such as the Lua
/// bindings reads to decide when to collect.
public final class Storage: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let count: Int
    let dtype: DType

    private static let live = Atomic<Int>(0)

    /// Bytes of tensor storage alive right now, in this process.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    /// An uninitialised buffer; callers write every element before reading.
    init(count: Int, dtype: DType) {
        self.count = count
        self.dtype = dtype
        let bytes = max(count * dtype.byteSize, 1)
        raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        Storage.live.add(bytes, ordering: .relaxed)
    }

    deinit {
        Storage.live.subtract(max(count * dtype.byteSize, 1), ordering: .relaxed)
        raw.deallocate()
    }

    var byteCount: Int { count * dtype.byteSize }

    @inline(__always)
    func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        raw.assumingMemoryBound(to: T.self)
    }
}
