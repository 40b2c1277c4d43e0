import Glibc

/// Seconds per call of `body`: the median over `repeats` runs of `inner`
/// calls each, after one warm-up run. The same method as the numpy side.
func secondsPerCall(repeats: Int = 7, inner: Int, _ body: () throws -> Void) rethrows -> Double {
    try (0..<inner).forEach { _ in try body() }
    var samples: [Double] = []
    for _ in 0..<repeats {
        let t0 = now()
        for _ in 0..<inner { try body() }
        samples.append((now() - t0) / Double(inner))
    }
    samples.sort()
    return samples[samples.count / 2]
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
