import Foundation
import OptLabLua
import OptLabRuntime
import CLuaBridge

let sweepUsage = """
usage: optlab sweep script.lua [--workers N] [--resume]
       optlab sweep script.lua --backend slurm [--parallel P] [--sbatch ARG]... [--resume]
       optlab sweep --summary runs/<name>
The script's hp.search runs as a master with N worker processes (default 2), or as one Slurm job
array per stage; running it again resumes. --summary prints the finished trials, best first.
"""

/// `optlab sweep --summary runs/<name>`: the finished trials of a search,
/// best first. (Only when no file named `sweep` exists.)
func sweepCommand() -> Int32? {
    let argv = CommandLine.arguments
    if argv.count >= 3, argv[1] == "--sweep-worker" {
        // optlab --sweep-worker script.lua [--trial T]  (a Slurm array task runs exactly trial T)
        var fields: [(String, LuaValue)] = [("mode", .string("worker")), ("workers", .integer(1)), ("script", .string(argv[2]))]
        if argv.count == 5, argv[3] == "--trial", let t = Int(argv[4]), t >= 1 {
            fields.append(("trial", .integer(t)))
        } else if argv.count != 3 {
            fputs("usage: optlab --sweep-worker script.lua [--trial T]\n", stderr)
            return 1
        }
        return runSweepScript(argv[2], fields)
    }
    guard argv.count >= 2, argv[1] == "sweep", !FileManager.default.fileExists(atPath: "sweep") else { return nil }
    if argv.count >= 3, argv[2] == "--help" || argv[2] == "-h" {
        print(sweepUsage)
        return 0
    }
    if argv.count >= 3, argv[2] != "--summary" {
        // optlab sweep script.lua [--workers N | --backend slurm [--parallel P] [--sbatch ARG]...] [--resume]
        // (running it again resumes; --resume says so)
        var workers = 2
        var backend = "local"
        var parallel: Int?
        var sbatch: [LuaValue] = []
        var i = 3
        func number(_ flag: String, _ range: ClosedRange<Int>) -> Int? {
            guard i + 1 < argv.count, let n = Int(argv[i + 1]), range.contains(n) else {
                fputs("optlab sweep: \(flag) needs a number from \(range.lowerBound) to \(range.upperBound)\n", stderr)
                return nil
            }
            return n
        }
        while i < argv.count {
            switch argv[i] {
            case "--workers":
                guard let n = number("--workers", 1...64) else { return 1 }
                workers = n
                i += 2
            case "--parallel":
                guard let n = number("--parallel", 1...100_000) else { return 1 }
                parallel = n
                i += 2
            case "--sbatch" where i + 1 < argv.count:
                sbatch.append(.string(argv[i + 1]))
                i += 2
            case "--backend" where i + 1 < argv.count:
                guard ["local", "slurm"].contains(argv[i + 1]) else {
                    fputs("optlab sweep: --backend must be local or slurm, got '\(argv[i + 1])'\n", stderr)
                    return 1
                }
                backend = argv[i + 1]
                i += 2
            case "--resume":
                i += 1
            default:
                fputs("optlab sweep: unknown option '\(argv[i])'\n", stderr)
                return 1
            }
        }
        if backend == "slurm" {
            guard which("sbatch") != nil, which("squeue") != nil else {
                fputs("optlab sweep: --backend slurm needs sbatch and squeue on PATH (apt-get install slurm-client)\n", stderr)
                return 1
            }
        }
        var fields: [(String, LuaValue)] = [
            ("mode", .string("master")), ("workers", .integer(backend == "slurm" ? 1 : workers)), ("script", .string(argv[2])),
            ("backend", .string(backend)),   // --workers 1 is one worker process too (one BLAS thread)
            ("cwd", .string(FileManager.default.currentDirectoryPath)),
            ("exe", .string((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? argv[0])),
            ("sbatch", .array(sbatch)),
        ]
        if let parallel { fields.append(("parallel", .integer(parallel))) }
        guard access(argv[2], R_OK) == 0 else {
            fputs("optlab sweep: cannot read \(argv[2])\n", stderr)
            return 1
        }
        if backend == "local" {
            // Workers start with the master, so their data loading overlaps the master's;
            // they wait for trials and serve every stage.
            var pids: [LuaValue] = []
            for _ in 0..<workers {
                do { pids.append(.integer(Int(try OptlabHost.spawnWorker(script: argv[2])))) } catch {
                    fputs("optlab sweep: \(error)\n", stderr)
                    return 1
                }
            }
            fields.append(("pids", .array(pids)))
        }
        return runSweepScript(argv[2], fields)
    }
    guard argv.count == 4, argv[2] == "--summary" else {
        fputs(sweepUsage + "\n", stderr)
        return 1
    }
    guard FileManager.default.fileExists(atPath: argv[3] + "/summary.jsonl"),
          var rows = try? SearchFolder(argv[3]).trials(op: "sweep --summary") else {
        fputs("optlab: \(argv[3])/summary.jsonl not found (is \(argv[3]) an hp.search folder?)\n", stderr)
        return 1
    }
    func score(_ r: [String: Any]) -> Double { (r["score"] as? NSNumber)?.doubleValue ?? -.infinity }
    rows.sort { score($0) > score($1) }
    let names = Array(Set(rows.flatMap { ($0["config"] as? [String: Any])?.keys ?? [:].keys })).sorted()
    func cell(_ v: Any?) -> String {
        switch v {
        case let n as NSNumber: let d = n.doubleValue; return d == d.rounded() && abs(d) < 1e6 ? String(Int(d)) : String(format: "%.3g", d)
        case let s as String: return s
        default: return "—"
        }
    }
    let header = ["trial", "stage"] + names + ["score", "status"]
    let table = [header] + rows.map { r in
        [cell(r["trial"]), cell(r["stage"])] + names.map { cell((r["config"] as? [String: Any])?[$0]) }
            + [r["score"] == nil ? "—" : String(format: "%.4f", score(r)), (r["status"] as? String) ?? "?"]
    }
    let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
    for row in table {
        print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
    var counts: [String: Int] = [:]
    for r in rows { counts[(r["status"] as? String) ?? "?", default: 0] += 1 }
    let others = counts.filter { $0.key != "ok" }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    print("\(rows.count) trials, \(counts["ok"] ?? 0) finished" + (others.isEmpty ? "" : " (" + others.joined(separator: ", ") + ")"))
    return 0
}

/// Runs a sweep script as the master or as one worker; Ctrl-C stops the
/// master's Lua code, which then stops its workers or cancels its Slurm jobs.
func runSweepScript(_ path: String, _ fields: [(String, LuaValue)]) -> Int32 {
    do {
        let vm = try LuaVM()
        vm.host = OptlabHost.shared
        vm.sweepRole = SweepRole(fields)
        let worker = fields.contains { $0.0 == "mode" && $0.1.string == "worker" }
        if worker && !fields.contains(where: { $0.0 == "trial" }) {
            // A local worker is silent until hp.search gives it a log: the
            // master runs the same script and shows what it prints.
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 1); dup2(null, 2); close(null) }
        }
        optlab_catch_sigint(vm.luaState)
        defer { optlab_release_sigint() }
        try vm.run(file: path)
        if !worker, vm.searchesBegun == 0 {
            fputs("optlab sweep: \(path) ran to its end without calling hp.search\n", stderr)
            return 1
        }
        return 0
    } catch {
        fputs("optlab: \(error)\n", stderr)
        return 1
    }
}

/// The full path of a program on PATH, or nil.
func which(_ program: String) -> String? {
    for dir in (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(program)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}
