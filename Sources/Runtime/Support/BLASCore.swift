import CBLAS
import Foundation

/// Which of OpenBLAS's kernel families runs. Debian's OpenBLAS picks its
/// family from the CPU's model number; on a CPU it does not know (a virtual
/// machine's "Intel Xeon Processor", say) it falls back to the generic
/// Prescott (SSE3) kernels even when the CPU has AVX-512, and GEMM runs at a
/// third of its speed. The `optlab` executable then restarts itself once
/// with `OPENBLAS_CORETYPE` naming the family the CPU's features allow.
public enum BLASCore {
    /// The kernel family in use ("SkylakeX", "Haswell", "Prescott").
    public static var name: String { String(cString: openblas_get_corename()) }

    /// The core type to ask OpenBLAS for instead of the one it chose, or nil:
    /// only when it fell back to Prescott, the user set no OPENBLAS_CORETYPE
    /// and no OPTLAB_BLAS_CORE=keep, and the CPU has AVX-512 (SkylakeX) or
    /// AVX2 with FMA (Haswell).
    public static func better(environment: [String: String] = ProcessInfo.processInfo.environment,
                              flags: Set<String> = cpuFlags()) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["OPTLAB_BLAS_CORE"] != "keep",
              name.lowercased() == "prescott" else { return nil }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags, from /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
