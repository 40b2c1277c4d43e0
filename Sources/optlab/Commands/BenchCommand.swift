import Foundation
import Glibc
import OptLabLua
import OptLabRuntime

/// `optlab bench-optimizer rule.lua [...]`: bench.run on the rule the file
/// returns (an optim.Optimizer class, a built-in's name, or {name =, lr =,
/// make =}), in this process, with the executable's progress and Ctrl-C.
enum BenchCommand {
    static let usage = """
    usage: optlab bench-optimizer rule.lua [--problems a,b,...] [--seeds N] [--budget quick|full|EPOCHS]
                                           [--tune N] [--baselines SGD,Adam,AdamW] [--dir DIR] [--quiet]
                                           [--also NAME=V1,V2,...] [--workers N | --claim]
    Judges the rule rule.lua returns against the baselines, each tuned the same way (N learning rates half
    a decade apart around its own centre, seed 1), on the registered problems (default all four:
    quadratic_deep, fmnist_mlp, char_transformer, fmnist_2c2d); the best rate runs again under seeds 2..N. Writes DIR/index.html and
    DIR/results.json (default DIR: bench); running it again resumes, skipping finished runs.
    --also tunes a second hyperparameter of the rule over the values given (the baselines get as many
    learning rates). --workers N runs the benchmark in N worker processes of one thread each; --claim lets several
    processes share DIR (each run made by the one that claims it), e.g. the tasks of a Slurm array.
    """

    static func run(_ args: [String]) -> Int32 {
        if args.first == "--help" || args.first == "-h" {
            print(usage)
            return 0
        }
        guard let rule = args.first, !rule.hasPrefix("-") else {
            fputs(usage + "\n", stderr)
            return 1
        }
        guard access(rule, R_OK) == 0 else {
            fputs("optlab bench-optimizer: cannot read \(rule)\n", stderr)
            return 1
        }
        var fields = ["rule = dofile(\(quoted(rule)))"]
        var workers = 0, shared: [String] = []   // (the arguments the workers get: all but --workers)
        var i = 1
        func value(_ flag: String) -> String? {
            guard i + 1 < args.count else {
                fputs("optlab bench-optimizer: \(flag) needs a value\n", stderr)
                return nil
            }
            i += 1
            if args[i - 1] != "--workers" { shared.append(args[i]) }
            return args[i]
        }
        func list(_ s: String) -> String { "{" + s.split(separator: ",").map { quoted(String($0)) }.joined(separator: ", ") + "}" }
        func count(_ flag: String, _ s: String) -> Int? {
            guard let n = Int(s), n >= 1, n <= 10_000 else {
                fputs("optlab bench-optimizer: \(flag) takes a whole number from 1 to 10000, got \(s)\n", stderr)
                return nil
            }
            return n
        }
        while i < args.count {
            let flag = args[i]
            if flag != "--workers" { shared.append(flag) }
            switch flag {
            case "--problems": guard let v = value(flag) else { return 1 }; fields.append("problems = \(list(v))")
            case "--baselines": guard let v = value(flag) else { return 1 }; fields.append("baselines = \(list(v))")
            case "--dir": guard let v = value(flag) else { return 1 }; fields.append("dir = \(quoted(v))")
            case "--seeds": guard let v = value(flag), let n = count(flag, v) else { return 1 }; fields.append("seeds = \(n)")
            case "--tune": guard let v = value(flag), let n = count(flag, v) else { return 1 }; fields.append("tune = \(n)")
            case "--budget":
                guard let v = value(flag) else { return 1 }
                if v == "quick" || v == "full" { fields.append("budget = \(quoted(v))") } else {
                    guard let n = count(flag, v) else { return 1 }
                    fields.append("budget = {epochs = \(n)}")
                }
            case "--quiet": fields.append("quiet = true")
            case "--also":
                guard let v = value(flag) else { return 1 }
                let parts = v.split(separator: "=", maxSplits: 1).map(String.init)
                let numbers = parts.count == 2 ? parts[1].split(separator: ",").map { Double($0) } : []
                guard parts.count == 2, !parts[0].isEmpty, !numbers.isEmpty, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                    fputs("optlab bench-optimizer: --also takes NAME=V1,V2,... (numbers), got \(v)\n", stderr)
                    return 1
                }
                fields.append("also = {name = \(quoted(parts[0])), values = {\(numbers.map { String(describing: $0!) }.joined(separator: ", "))}}")
            case "--claim": fields.append("claim = true")
            case "--workers":
                guard let v = value(flag), let n = count(flag, v), n <= 64 else {
                    fputs("optlab bench-optimizer: --workers takes 1 to 64\n", stderr)
                    return 1
                }
                workers = n
            default:
                fputs("optlab bench-optimizer: unknown option \(flag)\n" + usage + "\n", stderr)
                return 1
            }
            i += 1
        }
        let exe = CommandLine.arguments.first ?? "optlab"
        var children: [pid_t] = []
        if workers > 0 {
            // the workers make the runs, one thread each; this process waits for them and writes the page
            for _ in 0..<workers {
                guard let pid = spawn(["optlab", "bench-optimizer", rule] + shared + ["--claim", "--quiet"]) else { return 1 }
                children.append(pid)
            }
            fields.append("claim = \"wait\"")
        }
        defer { for pid in children { var status: Int32 = 0; waitpid(pid, &status, 0) } }
        guard let (vm, _) = RunCommand.session([exe, rule], scriptAt: 1) else { return 1 }
        let code = "print(bench.run{\(fields.joined(separator: ", "))})"
        return RunCommand.report(vm) { _ = try vm.run(code: code, name: "=bench-optimizer") } ? 0 : 1
    }

    /// This executable with args, one thread for BLAS and for optlab's own pool.
    static func spawn(_ args: [String]) -> pid_t? {
        do {
            return try OptlabHost.spawnSelf(args, setting: ProcessSpawn.oneThread, op: "optlab bench-optimizer")
        } catch {
            printError("\(error)")
            return nil
        }
    }

    /// A Lua string literal of s (any bytes).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(b))
            case 0x20..<0x7f: out += String(UnicodeScalar(b))
            default: out += String(format: "\\%03d", b)
            }
        }
        return out + "\""
    }
}
