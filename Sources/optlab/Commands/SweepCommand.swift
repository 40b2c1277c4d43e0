import Foundation
import Glibc
import OptLabLua

/// `optlab sweep script.lua [--workers N | --backend slurm [--parallel P] [--sbatch ARG]...] [--resume]`:
/// the script's `hp.search` runs as the master of N worker processes, or of
/// one Slurm job array per stage. Running it again resumes (`--resume` says so).
enum SweepCommand {
    static let usage = """
    usage: optlab sweep script.lua [--workers N] [--resume]
           optlab sweep script.lua --backend slurm [--parallel P] [--sbatch ARG]... [--resume]
           optlab sweep --summary runs/<name>
    The script's hp.search runs as a master with N worker processes (default 2), or as one Slurm job
    array per stage; running it again resumes. --summary prints the finished trials, best first.
    """

    struct Options {
        var script = "", workers = 2, slurm = false, parallel: Int?, sbatch: [String] = []
    }

    static func run(_ args: [String]) -> Int32 {
        if args.first == "--help" || args.first == "-h" {
            print(usage)
            return 0
        }
        guard let o = parse(args) else { return 1 }
        if o.slurm, which("sbatch") == nil || which("squeue") == nil {
            fputs("optlab sweep: --backend slurm needs sbatch and squeue on PATH (apt-get install slurm-client)\n", stderr)
            return 1
        }
        guard access(o.script, R_OK) == 0 else {
            fputs("optlab sweep: cannot read \(o.script)\n", stderr)
            return 1
        }
        let backend: SweepBackend
        if o.slurm {
            backend = .slurm(parallel: o.parallel, sbatch: o.sbatch)
        } else {
            // Workers start with the master, so their data loading overlaps the master's;
            // they wait for trials and serve every stage.
            var pids: [Int32] = []
            for _ in 0..<o.workers {
                do { pids.append(try OptlabHost.spawnWorker(script: o.script)) } catch {
                    fputs("optlab sweep: \(error)\n", stderr)
                    return 1
                }
            }
            backend = .local(workers: o.workers, started: pids)
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return runSweepScript(o.script, .master(script: o.script, backend: backend, directory: FileManager.default.currentDirectoryPath,
                                                executable: exe))
    }

    static func parse(_ args: [String]) -> Options? {
        guard let script = args.first, !script.hasPrefix("-") else {
            fputs(usage + "\n", stderr)
            return nil
        }
        var o = Options(script: script)
        var i = 1
        func number(_ flag: String, _ range: ClosedRange<Int>) -> Int? {
            guard i + 1 < args.count, let n = Int(args[i + 1]), range.contains(n) else {
                fputs("optlab sweep: \(flag) needs a number from \(range.lowerBound) to \(range.upperBound)\n", stderr)
                return nil
            }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--workers": guard let n = number("--workers", 1...64) else { return nil }; o.workers = n; i += 2
            case "--parallel": guard let n = number("--parallel", 1...100_000) else { return nil }; o.parallel = n; i += 2
            case "--sbatch" where i + 1 < args.count: o.sbatch.append(args[i + 1]); i += 2
            case "--backend" where i + 1 < args.count:
                guard ["local", "slurm"].contains(args[i + 1]) else {
                    fputs("optlab sweep: --backend must be local or slurm, got '\(args[i + 1])'\n", stderr)
                    return nil
                }
                o.slurm = args[i + 1] == "slurm"
                i += 2
            case "--resume": i += 1
            default:
                fputs("optlab sweep: unknown option '\(args[i])'\n", stderr)
                return nil
            }
        }
        return o
    }
}

/// Runs a sweep script as the master or as one worker; Ctrl-C stops the
/// master's Lua code, which then stops its workers or cancels its Slurm jobs.
func runSweepScript(_ path: String, _ role: SweepRole) -> Int32 {
    do {
        let vm = try LuaVM()
        vm.host = OptlabHost.shared
        vm.sweepRole = role
        if case .worker(_, nil) = role {
            // A local worker is silent until hp.search gives it a log: the
            // master runs the same script and shows what it prints.
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 1); dup2(null, 2); close(null) }
        }
        try vm.withInterrupts { try vm.run(file: path) }
        if case .master = role, vm.searchesBegun == 0 {
            fputs("optlab sweep: \(path) ran to its end without calling hp.search\n", stderr)
            return 1
        }
        return 0
    } catch {
        fputs("optlab: \(error)\n", stderr)
        return 1
    }
}
