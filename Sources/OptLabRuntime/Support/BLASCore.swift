import CBLAS
import Foundation

/// Which of OpenBLAS's kernel families runs. Debian's OpenBLAS picks its
/// family from the CPU's model number; on a CPU it does not know (a virtual
/// machine's "Intel Xeon Processor", say) it falls back to the generic
/// Prescott (SSE3) kernels even when the CPU has AVX-512, and GEMM runs at a
/// third of its speed. And its idle threads spin (sched_yield) for about
/// 2²⁸ cycles after each call, taking the core from optlab's own threads
/// between GEMMs (measured: a convnet step 25% slower at 2 threads). OpenBLAS
/// reads both settings only when it loads, so the `optlab` executable
/// restarts itself once with them in its environment (`restartEnvironment`,
/// applied by `StartupEnvironment`).
public enum BLASCore {
    /// The kernel family in use ("SkylakeX", "Haswell", "Prescott").
    public static var name: String { String(cString: openblas_get_corename()) }

    /// The core type to ask OpenBLAS for instead of the one it chose, or nil:
    /// only when it fell back to Prescott, the user set no OPENBLAS_CORETYPE,
    /// and the CPU has AVX-512 (SkylakeX) or AVX2 with FMA (Haswell).
    public static func better(environment: [String: String] = ProcessInfo.processInfo.environment,
                              flags: Set<String> = cpuFlags()) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, name.lowercased() == "prescott" else { return nil }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// What to set before OpenBLAS loads, for a restart (empty: nothing to
    /// change): the better core type, and a short spin (OPENBLAS_THREAD_TIMEOUT=4,
    /// its minimum) unless the user set one (its pool is made at load with a
    /// thread per core, whatever optlab's thread count becomes later).
    /// OPTLAB_BLAS_CORE=keep leaves OpenBLAS entirely as it is.
    public static func restartEnvironment(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        guard environment["OPTLAB_BLAS_CORE"] != "keep" else { return [:] }
        var set: [String: String] = [:]
        if let core = better(environment: environment) { set["OPENBLAS_CORETYPE"] = core }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil { set["OPENBLAS_THREAD_TIMEOUT"] = "4" }
        return set
    }

    /// The CPU's feature flags, from /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}

/// OpenBLAS's thread count set to 1 for a while: products that optlab's own
/// threads cut into pieces run one single-threaded BLAS call per piece.
enum BLASThreads {
    static func single(_ body: () -> Void) {
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(Parallel.threads)) }
        body()
    }
}
