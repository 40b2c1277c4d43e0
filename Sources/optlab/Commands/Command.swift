import Foundation
import Glibc

/// The executable's commands, one file each; `main` only picks one.
///
/// ```
/// optlab [options] [script [args]]      RunCommand (lua.c's options, the REPL)
/// optlab report DIR ... [--watch]       ReportCommand
/// optlab sweep script [--workers N]     SweepCommand (the master)
/// optlab sweep --summary DIR            SweepSummaryCommand
/// optlab --sweep-worker script [--trial T]   SweepWorkerCommand
/// optlab --landscape-worker DIR --part K/N    LandscapeWorkerCommand
/// optlab kernel install [...]           KernelInstallCommand
/// optlab definitions [DIR]              DefinitionsCommand
/// optlab bench-optimizer rule.lua [...]  BenchCommand
/// optlab --kernel FILE                  KernelCommand
/// ```
///
/// `optlab --help` (or `-h`) and each command's `--help` print the usage.
enum Command {
    static func run(_ argv: [String]) -> Int32 {
        let word = argv.count > 1 ? argv[1] : ""
        let rest = Array(argv.dropFirst(2))
        switch word {
        case "--help", "-h":
            print(RunCommand.usage)
            return 0
        // (a command's word is always the command: a script of that name runs as ./report)
        case "report": return ReportCommand.run(rest)
        case "sweep": return rest.first == "--summary" ? SweepSummaryCommand.run(Array(rest.dropFirst())) : SweepCommand.run(rest)
        case "kernel": return KernelInstallCommand.run(rest)
        case "definitions": return DefinitionsCommand.run(rest)
        case "bench-optimizer": return BenchCommand.run(rest)
        case "--kernel": return KernelCommand.run(rest)
        case "--sweep-worker" where !rest.isEmpty: return SweepWorkerCommand.run(rest)
        case "--landscape-worker": return LandscapeWorkerCommand.run(rest)
        default: return RunCommand.run(argv)
        }
    }
}

/// `optlab: message` on stderr, as lua.c reports.
func printError(_ message: String) {
    fputs("optlab: \(message)\n", stderr)
    fflush(stderr)
}

/// The process's environment as it is now (after the start-up restart set
/// OpenBLAS's and glibc's variables).
enum Environment {
    static var variables: [String: String] { Foundation.ProcessInfo.processInfo.environment }
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

/// The full path of a program on PATH, or nil.
func which(_ program: String) -> String? {
    for dir in (Environment.value("PATH") ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(program)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
