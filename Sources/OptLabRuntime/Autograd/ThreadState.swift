import Glibc

/// Per-thread autograd state: whether ops record graph nodes, and the active
/// kink recorder. Thread-local, as PyTorch's grad mode is, so that a host
/// running evaluation on one thread does not switch off gradients on another.
final class ThreadState {
    var gradEnabled = true
    var kinkRecorder: KinkRecorder?
    /// While a watched Sequential runs: the outputs of modules called inside its layers.
    var activationTrace: ActivationTrace?

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in
            if let p { Unmanaged<ThreadState>.fromOpaque(p).release() }
        }
        return k
    }()

    static var current: ThreadState {
        if let p = pthread_getspecific(key) {
            return Unmanaged<ThreadState>.fromOpaque(p).takeUnretainedValue()
        }
        let s = ThreadState()
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
        return s
    }
}
