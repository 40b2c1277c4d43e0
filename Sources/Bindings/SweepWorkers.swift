import Foundation
import OptLabRuntime

/// Worker processes of a local sweep: this same executable in worker mode,
/// with one BLAS thread each (two workers use two cores) and the master's
/// pid, so a worker waits for more trials while its master lives (between
/// stages, and before the master has reached `hp.search`) and leaves when
/// the master is gone and the queue is empty.
public enum SweepWorkers {
    public static let masterVariable = "OPTLAB_SWEEP_MASTER"

    public static func spawn(script: String) throws -> pid_t {
        let args = ["optlab", "--sweep-worker", script]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var env: [String] = []
        var e = environ
        while let entry = e.pointee {
            let s = String(cString: entry)
            if !s.hasPrefix("OPENBLAS_NUM_THREADS=") && !s.hasPrefix(masterVariable + "=") { env.append(s) }
            e += 1
        }
        env.append("OPENBLAS_NUM_THREADS=1")
        env.append("\(masterVariable)=\(getpid())")
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/proc/self/exe", nil, nil, argv, envp)
        guard status == 0 else { throw RuntimeError(.io, "hp", "cannot start a worker: \(String(cString: strerror(status)))") }
        return pid
    }
}
