import CKernels
import Foundation
import CLuaBridge
import Glibc
import OptLabLua
import OptLabReport
import OptLabRuntime

/// `optlab [options] [script [args]]`, with lua.c's options and behaviour.
let usage = """
usage: optlab [options] [script [args]]
Available options are:
  -e stat   execute string 'stat'
  -i        enter interactive mode after executing 'script'
  -l mod    require library 'mod' into global 'mod'
  -v        show version information
  -E        ignore environment variables (LUA_INIT)
  --        stop handling options
  -         stop handling options and execute stdin
Commands (when no file of that name is in this folder):
  optlab report runs/<name> [--watch]           write runs/<name>/report.html (rewritten as the run goes)
  optlab report runs/a runs/b ... [--color P]   compare runs (a search folder: its trials)
  optlab sweep script.lua [--workers N]         run its hp.search with N worker processes
  optlab sweep script.lua --backend slurm [--parallel P] [--sbatch ARG]...
                                                one Slurm job array per stage
  optlab sweep --summary runs/<name>            the trials of a search, best first
  optlab kernel install [--user | --prefix DIR] the Jupyter kernelspec (optlab --kernel FILE is the kernel)
"""

let argv = CommandLine.arguments

// OpenBLAS reads its kernel family and its threads' spin time, and glibc its
// malloc cache size, only as the process starts: start again, once, with
// better ones when they apply (see StartupEnvironment).
StartupEnvironment.restartIfNeeded()
let progname = "optlab"

func printError(_ message: String) {
    fputs("\(progname): \(message)\n", stderr)
    fflush(stderr)
}

/// The options before the script, as lua.c collects them.
struct Options {
    var interactive = false, version = false, ignoreEnv = false, readStdin = false
    var actions: [(flag: Character, value: String)] = []
    var scriptIndex: Int?   // index in argv of the script (or of "-")
}

func parseOptions() -> Options? {
    var o = Options()
    var i = 1
    while i < argv.count {
        let a = argv[i]
        if !a.hasPrefix("-") { o.scriptIndex = i; return o }
        switch a {
        case "--": o.scriptIndex = i + 1 < argv.count ? i + 1 : nil; return o
        case "-": o.readStdin = true; o.scriptIndex = i; return o
        case "-i": o.interactive = true; o.version = true
        case "-v": o.version = true
        case "-E": o.ignoreEnv = true
        case "-W": break
        default:
            let flag = a.dropFirst().first
            guard flag == "e" || flag == "l" else {
                printError("unrecognized option '\(a)'")
                return nil
            }
            var value = String(a.dropFirst(2))
            if value.isEmpty {
                i += 1
                guard i < argv.count, !argv[i].hasPrefix("-") else {
                    printError("'\(a)' needs argument")
                    return nil
                }
                value = argv[i]
            }
            o.actions.append((flag!, value))
        }
        i += 1
    }
    return o
}

/// Runs `body` with Ctrl-C interrupting the Lua code; reports an error like lua.c.
@discardableResult
func report(_ vm: LuaVM, _ body: () throws -> Void) -> Bool {
    optlab_catch_sigint(vm.luaState)
    defer { optlab_release_sigint() }
    do {
        try body()
        return true
    } catch {
        printError("\(error)")
        return false
    }
}

/// `optlab report runs/<name> [--watch] [--color NAME]`: writes runs/<name>/report.html;
/// several folders: their comparison (`--out`, default comparison.html beside the first).
/// (Only when no file named `report` exists, so a script of that name still runs.)
func reportCommand() -> Int32? {
    guard argv.count >= 2, argv[1] == "report", access("report", F_OK) != 0 else { return nil }
    let usage = "usage: optlab report runs/<name> [runs/<other> ...] [--watch] [--color PARAM] [--out FILE]"
    var dirs: [String] = [], watch = false, color: String?, out: String?
    var i = 2
    while i < argv.count {
        switch argv[i] {
        case "--watch": watch = true
        case "--color", "--out":
            guard i + 1 < argv.count else { fputs(usage + "\n", stderr); return 1 }
            if argv[i] == "--color" { color = argv[i + 1] } else { out = argv[i + 1] }
            i += 1
        case let a where a.hasPrefix("-"):
            fputs("optlab report: unknown option '\(a)'\n" + usage + "\n", stderr)
            return 1
        default: dirs.append(argv[i].hasSuffix("/") && argv[i].count > 1 ? String(argv[i].dropLast()) : argv[i])
        }
        i += 1
    }
    guard !dirs.isEmpty else {
        fputs(usage + "\n", stderr)
        return 1
    }
    func writeOnce() throws -> String {
        if dirs.count == 1 { return try Report.write(runDirectory: dirs[0], colorBy: color) }
        let parent = (dirs[0] as NSString).deletingLastPathComponent
        return try Report.write(comparing: dirs, output: out ?? (parent.isEmpty ? "comparison.html" : parent + "/comparison.html"), colorBy: color)
    }
    do {
        print(try writeOnce())
        fflush(stdout)
        guard watch else { return 0 }
        // Rewritten whenever a file of the run changes; done once nothing is being written.
        var last = folderSignature(dirs)
        while dirs.contains(where: Report.isLive) {
            usleep(1_000_000)
            let now = folderSignature(dirs)
            if now != last {
                last = now
                _ = try writeOnce()
            }
        }
        _ = try writeOnce()
        print("optlab report: the run is no longer being written; the page is final")
        return 0
    } catch {
        printError("\(error)")
        return 1
    }
}

/// Names, sizes and modification times of the files under the folders (two levels: a search's trials).
func folderSignature(_ dirs: [String]) -> [String] {
    var out: [String] = []
    func visit(_ dir: String, depth: Int) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names.sorted() where n != "report.html" && !n.hasPrefix(".") {
            let path = dir + "/" + n
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if depth < 1 { visit(path, depth: depth + 1) }
            } else {
                out.append("\(path):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)")
            }
        }
    }
    for d in dirs { visit(d, depth: 0) }
    return out
}

/// `optlab kernel install ...` (when no file named `kernel` is here) and `optlab --kernel FILE`.
func kernelCommand() -> Int32? {
    if argv.count >= 2, argv[1] == "kernel", access("kernel", F_OK) != 0 { return KernelSpec.command(Array(argv.dropFirst(2))) }
    guard argv.count >= 2, argv[1] == "--kernel" else { return nil }
    guard argv.count == 3 else {
        fputs("usage: optlab --kernel CONNECTION_FILE (Jupyter starts it so; see optlab kernel install)\n", stderr)
        return 1
    }
    let vm: LuaVM
    do { vm = try LuaVM() } catch {
        printError("\(error)")
        return 1
    }
    do {
        return try JupyterKernel(vm: vm, connectionFile: argv[2]).run()
    } catch {
        printError("cannot start the kernel: \(error)")
        return 1
    }
}

func main() -> Int32 {
    if let status = reportCommand() { return status }
    if let status = kernelCommand() { return status }
    if let status = sweepCommand() { return status }
    guard let opts = parseOptions() else {
        fputs(usage + "\n", stderr)
        return 1
    }
    if opts.version {
        print("optlab \(optlabVersion) (\(luaRelease)), the optlab runtime for Lua; OpenBLAS \(BLASCore.name) kernels, "
              + "\(String(cString: optlab_isa())) vector kernels, \(Parallel.threads) threads")
    }
    let vm: LuaVM
    do { vm = try LuaVM() } catch {
        printError("\(error)")
        return 1
    }
    vm.host = OptlabHost.shared
    // runner.lua: arg, -l, colours
    var runner: [String: LuaValue] = [:]
    do {
        guard case .record(let fields)? = try vm.load(chunk: PackageResources.runner_lua, name: "@optlab/runner.lua").first else {
            throw LuaError(message: "runner.lua returned no table")
        }
        runner = Dictionary(fields, uniquingKeysWith: { a, _ in a })
    } catch {
        printError("\(error)")
        return 1
    }
    if isatty(1) != 0 {
        let bar = ProgressBar()
        vm.trainingProgress = { bar.show($0) }
        if ProcessInfo.environment["NO_COLOR"] == nil { _ = try? vm.call(function: runner["use_colors"] ?? .nil) }
    }
    // The global 'arg': script at 0, its arguments at 1.., interpreter options below 0.
    let scriptAt = opts.scriptIndex ?? argv.count
    do {
        try vm.call(function: runner["set_arg"] ?? .nil, [.array(argv.map { .string($0) }), .integer(scriptAt)])
    } catch {
        printError("\(error)")
        return 1
    }
    if !opts.ignoreEnv {
        let env = ProcessInfo.environment
        if let initCode = env["LUA_INIT_5_4"] ?? env["LUA_INIT"] {
            let ok = report(vm) {
                if initCode.hasPrefix("@") { try vm.run(file: String(initCode.dropFirst())) } else { try vm.run(code: initCode, name: "=LUA_INIT") }
            }
            if !ok { return 1 }
        }
    }
    for (flag, value) in opts.actions {
        let ok = report(vm) {
            if flag == "e" {
                try vm.run(code: value, name: "=(command line)")
            } else {
                try vm.call(function: runner["require_global"] ?? .nil, [.string(value)])
            }
        }
        if !ok { return 1 }
    }
    if let s = opts.scriptIndex, s < argv.count {
        let scriptArgs = Array(argv[(s + 1)...])
        let ok = report(vm) {
            if opts.readStdin { try vm.runStdin(arguments: scriptArgs) } else { try vm.run(file: argv[s], arguments: scriptArgs) }
        }
        if !ok { return 1 }
    }
    let ranSomething = opts.scriptIndex != nil || !opts.actions.isEmpty
    if opts.interactive || (!ranSomething && !opts.version) {
        if isatty(0) != 0 {
            var repl = REPL(vm: vm); return repl.run()
        }
        if !opts.interactive {
            return report(vm) { try vm.runStdin(arguments: []) } ? 0 : 1
        }
        var repl = REPL(vm: vm); return repl.run()
    }
    return 0
}

enum ProcessInfo {
    static var environment: [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }
}

exit(main())
