import OptLabRuntime

/// What the program embedding a `LuaVM` provides to the Lua face, beyond
/// `print`: where a search's live table may draw, how `optlab sweep`'s
/// worker processes start, and which part of a sweep this process plays.
///
/// The `optlab` executable implements it. A host that gives none (or leaves
/// the defaults) still runs `hp.search` in process, with one plain line per
/// finished trial; asking it for worker processes is a clear error.
///
/// ```swift
/// final class MyHost: LuaHost {
///     func liveTableSize() -> (rows: Int, columns: Int)? { (40, 120) }
/// }
/// vm.host = MyHost()
/// ```
public protocol LuaHost: AnyObject {
    /// Rows and columns of a terminal where the live trial table may redraw
    /// in place; nil prints one plain line per finished trial.
    func liveTableSize() -> (rows: Int, columns: Int)?

    /// Shows the live table's `lines` in place of the `previous` lines it
    /// showed last time (0: below whatever is there). Each line fits the
    /// columns `liveTableSize` gave.
    func drawLiveTable(_ lines: [String], replacing previous: Int)

    /// Starts a worker process that runs `script` as a search worker (it
    /// claims queued trials from the run folder); returns its pid.
    func startSearchWorker(script: String) throws -> Int32

    /// The command that evaluates part of a landscape job in another process:
    /// an executable's path and its first arguments, to which the job's folder
    /// and `--part K/N` are added (`optlab --landscape-worker DIR --part K/N`);
    /// nil when this program has none (then `monitor.landscape{workers =}` is refused).
    func landscapeWorkerCommand() -> [String]?
}

extension LuaHost {
    public func liveTableSize() -> (rows: Int, columns: Int)? { nil }

    /// Without a way to redraw, the table is printed as it is.
    public func drawLiveTable(_ lines: [String], replacing previous: Int) {
        print(lines.joined(separator: "\n"))
    }

    public func landscapeWorkerCommand() -> [String]? { nil }

    public func startSearchWorker(script: String) throws -> Int32 {
        throw RuntimeError(.argument, "hp.search", "this program cannot start worker processes (its LuaHost does not implement startSearchWorker); run the search in process")
    }
}

/// A sweep's part for this process, set by the host before it runs the
/// script: `hp.search` then acts as the master or as a worker.
public enum SweepRole: Sendable {
    /// The master of `optlab sweep script`: it plans the stages, hands out
    /// trials, and narrows; `directory` and `executable` are where Slurm
    /// tasks start and what they run.
    case master(script: String, backend: SweepBackend, directory: String, executable: String)
    /// A worker: it claims queued trials, or runs exactly `trial` (a Slurm array task).
    case worker(script: String, trial: Int?)

    /// What `hp.search`'s Lua reads (`P.host.role()`).
    var record: LuaValue {
        switch self {
        case .worker(let script, let trial):
            var fields: [(String, LuaValue)] = [("mode", .string("worker")), ("workers", .integer(1)), ("script", .string(script))]
            if let trial { fields.append(("trial", .integer(trial))) }
            return .record(fields)
        case .master(let script, let backend, let directory, let executable):
            var fields: [(String, LuaValue)] = [("mode", .string("master")), ("script", .string(script)),
                                                ("cwd", .string(directory)), ("exe", .string(executable))]
            switch backend {
            case .local(let workers, let started):
                // (--workers 1 is one worker process too: one thread, like each of N)
                fields += [("backend", .string("local")), ("workers", .integer(workers)), ("pids", .array(started.map { .integer(Int($0)) })),
                           ("sbatch", .array([]))]
            case .slurm(let parallel, let sbatch):
                fields += [("backend", .string("slurm")), ("workers", .integer(1)), ("sbatch", .array(sbatch.map { .string($0) }))]
                if let parallel { fields.append(("parallel", .integer(parallel))) }
            }
            return .record(fields)
        }
    }
}

extension SweepRole {
    /// The role as the untyped list of fields it used to be (optlab 0.1's `SweepRole(fields)`).
    @available(*, deprecated, message: "use SweepRole.master(script:backend:directory:executable:) or .worker(script:trial:)")
    public init(_ fields: [(String, LuaValue)]) {
        let f = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        let script = f["script"]?.string ?? ""
        guard f["mode"]?.string == "master" else {
            self = .worker(script: script, trial: f["trial"].flatMap { if case .integer(let t) = $0 { return t }; return nil })
            return
        }
        let ints = { (key: String) -> [Int] in
            guard case .array(let items)? = f[key] else { return [] }
            return items.compactMap { if case .integer(let i) = $0 { return i }; return nil }
        }
        let workers: Int = { if case .integer(let n)? = f["workers"] { return n }; return 1 }()
        let backend: SweepBackend = f["backend"]?.string == "slurm"
            ? .slurm(parallel: { if case .integer(let p)? = f["parallel"] { return p }; return nil }(),
                     sbatch: { guard case .array(let a)? = f["sbatch"] else { return [] }; return a.compactMap(\.string) }())
            : .local(workers: workers, started: ints("pids").map { Int32($0) })
        self = .master(script: script, backend: backend, directory: f["cwd"]?.string ?? "", executable: f["exe"]?.string ?? "")
    }
}

/// Where a sweep master's trials run.
public enum SweepBackend: Sendable {
    /// `workers` processes on this machine; those `started` with the master
    /// (their pids) are used first, the others are started through the host.
    case local(workers: Int, started: [Int32] = [])
    /// Slurm job arrays: at most `parallel` tasks at once, extra `sbatch` arguments.
    case slurm(parallel: Int?, sbatch: [String])
}

extension BindingState {
    /// `P.host`: the host's answers, for the search's Lua files.
    static let hostPrimitives: [LuaFunction] = [
        .primitive("terminal", as: "hp.search") { a in
            guard let size = a.state.host?.liveTableSize() else { return [.nil] }
            return [.integer(size.rows), .integer(size.columns)]
        },
        .primitive("draw", as: "hp.search") { a in
            guard case .array(let lines) = try a.value(1) else { throw a.typeError(1, expected: "table of lines") }
            a.state.host?.drawLiveTable(lines.compactMap(\.string), replacing: try a.integer(2))
            return []
        },
        .primitive("spawn", as: "hp.search") { a in
            guard let host = a.state.host else {
                throw RuntimeError(.argument, "hp.search", "this program cannot start worker processes (it gave the LuaVM no LuaHost); run the search in process")
            }
            return [.integer(Int(try host.startSearchWorker(script: try a.string(1))))]
        },
        .primitive("role", as: "hp.search") { a in [a.state.sweepRole?.record ?? .nil] },
        .primitive("began_search", as: "hp.search") { a in
            a.state.searchesBegun += 1
            return []
        },
    ]
}
