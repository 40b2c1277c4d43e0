import Foundation

/// Settings that libraries optlab links read only as the process starts:
/// OpenBLAS's kernel family and spin time (`BLASCore`), and the size of
/// glibc malloc's per-thread cache of small freed chunks. The `optlab` and
/// `optlab-bench` executables restart themselves once with them set; a host
/// embedding the libraries sets them itself, if it wants them.
///
/// The malloc setting is for optlab's own process only: once restarted, the
/// process puts `GLIBC_TUNABLES` back as the user had it, so the programs
/// it starts (a script's `io.popen`, a trial's Python) do not inherit it.
/// PyTorch's process, given it, grew to 13 GB resident and ran 30× slower
/// over 3000 exps of 1M floats (optlab's own heap, with its raised mmap
/// threshold, stays at 53 MB either way).
public enum StartupEnvironment {
    /// How many freed chunks of each small size (up to 1 KB) glibc keeps per
    /// thread for reuse; glibc's default is 7, its maximum 65535.
    ///
    /// Every tensor is four small allocations (the Tensor and Storage
    /// objects, the shape array, the elements of a small tensor), and Lua's
    /// collector frees dead tensors thousands at a time. With 7 kept, each
    /// burst of frees spills into glibc's bins and the next allocations
    /// take its slow path: on this machine `_int_malloc` was 19% of a
    /// 4-element `x + y`, which took 1.0–1.2 µs against 0.50 µs with the
    /// cache at its maximum (`x:sum()` 1.0–1.2 → 0.44 µs, `nn.Linear` on
    /// 1×10 3.9–4.3 → 2.5 µs). What the cache holds is at most what was
    /// freed and not yet reused, which glibc's bins would hold anyway.
    public static let tcacheCount = 65535

    /// glibc's tunables with the cache size added, or nil when the user
    /// already chose one (or `OPTLAB_MALLOC=keep`), or when this process is
    /// the restart (a loader that dropped the tunables, as a set-user-ID
    /// start would, must not make it restart again).
    static func mallocTunables(environment: [String: String]) -> String? {
        guard environment["OPTLAB_MALLOC"] != "keep", environment[savedTunables] == nil else { return nil }
        let current = environment["GLIBC_TUNABLES"] ?? ""
        guard !current.contains("glibc.malloc.tcache_count") else { return nil }
        let entry = "glibc.malloc.tcache_count=\(tcacheCount)"
        return current.isEmpty ? entry : current + ":" + entry
    }

    /// Where the restart keeps the user's own `GLIBC_TUNABLES` ("=" and the
    /// value, or "unset") until the restarted process puts it back.
    static let savedTunables = "OPTLAB_USER_GLIBC_TUNABLES"

    /// What to set before the libraries load (empty: nothing to change).
    public static func restartEnvironment(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var set = BLASCore.restartEnvironment(environment: environment)
        if let tunables = mallocTunables(environment: environment) {
            set["GLIBC_TUNABLES"] = tunables
            set[savedTunables] = environment["GLIBC_TUNABLES"].map { "=" + $0 } ?? "unset"
        }
        return set
    }

    /// What the restarted process sets back (nil: unset) for the programs it
    /// starts, or nothing when it was not restarted with the malloc setting.
    static func inheritedTunables(environment: [String: String]) -> (restore: Bool, value: String?) {
        guard let saved = environment[savedTunables] else { return (false, nil) }
        return (true, saved.hasPrefix("=") ? String(saved.dropFirst()) : nil)
    }

    /// Restarts this program with `restartEnvironment()` set, when it has
    /// anything to set; returns when there is nothing to do or exec failed.
    /// Each setting is one the restarted process finds already set, so it
    /// restarts at most once.
    public static func restartIfNeeded() {
        let set = restartEnvironment()
        guard !set.isEmpty else {
            // restarted (or nothing to do): glibc has read its tunables; children get the user's
            let inherited = inheritedTunables(environment: ProcessInfo.processInfo.environment)
            if inherited.restore {
                if let value = inherited.value { setenv("GLIBC_TUNABLES", value, 1) } else { unsetenv("GLIBC_TUNABLES") }
                unsetenv(savedTunables)
            }
            return
        }
        for (k, v) in set { setenv(k, v, 1) }
        var cArgs = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
    }
}
