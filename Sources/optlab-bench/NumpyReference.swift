import Foundation

/// Runs a Python/numpy script that prints `name seconds` lines, timed with
/// the same median-of-repeats method, in this process's environment (so
/// both sides see the same OPENBLAS_* settings and core count).
enum NumpyReference {
    static func run(_ script: String) -> [String: Double] {
        let prelude = """
        import time, numpy as np
        def per_call(f, inner, repeats=7):
            for _ in range(inner): f()
            s = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                for _ in range(inner): f()
                s.append((time.perf_counter() - t0) / inner)
            s.sort()
            return s[len(s) // 2]
        def report(name, secs): print(name, repr(secs), flush=True)

        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", prelude + script]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { return [:] }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var result: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { result[String(parts[0])] = v }
        }
        return result
    }

    static func version() -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy, sys; print('numpy', numpy.__version__, 'python', sys.version.split()[0])"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        do { try p.run() } catch { return "numpy unavailable" }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "numpy unavailable"
    }
}
