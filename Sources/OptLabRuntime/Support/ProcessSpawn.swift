import Glibc

/// Starting another process without a shell: `posix_spawn` of an executable
/// with this process's environment but for the variables `setting` gives (a
/// worker's thread count, its master's pid).
public enum ProcessSpawn {
    /// A worker's environment for one thread: optlab's pool and OpenBLAS
    /// alike (optlab sets OpenBLAS's count from its own at start, so
    /// OPENBLAS_NUM_THREADS alone would be overridden by the cores' count).
    public static let oneThread = ["OPENBLAS_NUM_THREADS": "1", "OPTLAB_NUM_THREADS": "1"]

    /// Starts `path` with `argv` (argv[0] included); returns its pid. `op` names the caller in the error.
    public static func start(_ path: String, _ argv: [String], setting: [String: String], op: String) throws -> pid_t {
        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) } }
        var env: [String] = []
        var e = environ
        while let entry = e.pointee {
            let s = String(cString: entry)
            if setting[String(s.prefix { $0 != "=" })] == nil { env.append(s) }
            e += 1
        }
        env += setting.map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, nil, nil, args, envp)
        guard status == 0 else { throw RuntimeError(.io, op, "cannot start a worker (\(path)): \(String(cString: strerror(status)))") }
        return pid
    }
}
