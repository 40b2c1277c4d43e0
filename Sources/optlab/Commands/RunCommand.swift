import Glibc
import OptLabLua
import OptLabRuntime

/// `optlab [options] [script [args]]`, with lua.c's options and behaviour:
/// `-e`, `-l`, `-i`, `-v`, `-E`, `-`, `--`, the `arg` table,
/// `LUA_INIT_5_4`/`LUA_INIT`, and the REPL when nothing else is asked for.
enum RunCommand {
    static let usage = """
    usage: optlab [options] [script [args]]
    Available options are:
      -e stat   execute string 'stat'
      -i        enter interactive mode after executing 'script'
      -l mod    require library 'mod' into global 'mod'
      -v        show version information
      -t        print the time of each interactive entry that takes 0.1 s or more (:timer S changes it)
      -E        ignore environment variables (LUA_INIT)
      --        stop handling options
      -         stop handling options and execute stdin
      -h, --help  show this help
    Commands (a script named like one runs as ./name):
      optlab report runs/<name> [--watch]           write runs/<name>/report.html (rewritten as the run goes)
      optlab report runs/a runs/b ... [--color P]   compare runs (a search folder: its trials)
      optlab sweep script.lua [--workers N]         run its hp.search with N worker processes
      optlab sweep script.lua --backend slurm [--parallel P] [--sbatch ARG]...
                                                    one Slurm job array per stage
      optlab sweep --summary runs/<name>            the trials of a search, best first
      optlab kernel install [--user | --prefix DIR] the Jupyter kernelspec (optlab --kernel FILE is the kernel)
      optlab definitions [DIR]                      lua-language-server definitions for editors (DIR/optlab.lua)
      optlab bench-optimizer rule.lua [--seeds N]   judge an update rule against tuned baselines (DIR/index.html)
    Each command's --help says more.
    """

    /// The options before the script, as lua.c collects them.
    struct Options {
        var interactive = false, version = false, ignoreEnv = false, readStdin = false, timer = false
        var actions: [(flag: Character, value: String)] = []
        var scriptIndex: Int?   // index in argv of the script (or of "-")
    }

    static func run(_ argv: [String]) -> Int32 {
        guard let opts = parse(argv) else {
            fputs(usage + "\n", stderr)
            return 1
        }
        if opts.version {
            print("optlab \(optlabVersion) (\(luaRelease)), the optlab runtime for Lua; OpenBLAS \(BLASCore.name) kernels, "
                  + "\(VectorKernels.instructionSet) vector kernels, \(Parallel.threads) threads")
        }
        guard let (vm, runner) = session(argv, scriptAt: opts.scriptIndex ?? argv.count) else { return 1 }
        guard runStartup(vm, runner, opts), runScript(vm, argv, opts) else { return 1 }
        let ranSomething = opts.scriptIndex != nil || !opts.actions.isEmpty
        guard opts.interactive || (!ranSomething && !opts.version) else { return 0 }
        if isatty(0) == 0 && !opts.interactive {
            return report(vm) { try vm.runStdin(arguments: []) } ? 0 : 1
        }
        var repl = REPL(vm: vm, timer: opts.timer ? 0.1 : nil)
        return repl.run()
    }

    static func parse(_ argv: [String]) -> Options? {
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
            case "-t": o.timer = true
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

    /// The Lua session: the VM with this executable's host, progress bar and
    /// colours, and the global `arg` (script at 0, its arguments at 1..,
    /// interpreter options below 0). Returns runner.lua's functions too.
    static func session(_ argv: [String], scriptAt: Int) -> (LuaVM, [String: LuaValue])? {
        do {
            let vm = try LuaVM()
            vm.host = OptlabHost.shared
            guard case .record(let fields)? = try vm.load(chunk: PackageResources.runner_lua, name: "@optlab/runner.lua").first else {
                throw LuaError(message: "runner.lua returned no table")
            }
            let runner = Dictionary(fields, uniquingKeysWith: { a, _ in a })
            if isatty(1) != 0 {
                let bar = ProgressBar()
                vm.trainingProgress = { bar.show($0) }
                if Environment.value("NO_COLOR") == nil { _ = try? vm.call(function: runner["use_colors"] ?? .nil) }
            }
            try vm.call(function: runner["set_arg"] ?? .nil, [.array(argv.map { .string($0) }), .integer(scriptAt)])
            return (vm, runner)
        } catch {
            printError("\(error)")
            return nil
        }
    }

    /// LUA_INIT, then each -e and -l in order; false when one failed.
    static func runStartup(_ vm: LuaVM, _ runner: [String: LuaValue], _ opts: Options) -> Bool {
        if !opts.ignoreEnv, let initCode = Environment.value("LUA_INIT_5_4") ?? Environment.value("LUA_INIT") {
            let ok = report(vm) {
                if initCode.hasPrefix("@") { try vm.run(file: String(initCode.dropFirst())) } else { try vm.run(code: initCode, name: "=LUA_INIT") }
            }
            if !ok { return false }
        }
        for (flag, value) in opts.actions {
            let ok = report(vm) {
                if flag == "e" {
                    try vm.run(code: value, name: "=(command line)")
                } else {
                    try vm.call(function: runner["require_global"] ?? .nil, [.string(value)])
                }
            }
            if !ok { return false }
        }
        return true
    }

    /// The script (or stdin for "-") with its arguments; false when it failed.
    static func runScript(_ vm: LuaVM, _ argv: [String], _ opts: Options) -> Bool {
        guard let s = opts.scriptIndex, s < argv.count else { return true }
        let scriptArgs = Array(argv[(s + 1)...])
        return report(vm) {
            if opts.readStdin { try vm.runStdin(arguments: scriptArgs) } else { try vm.run(file: argv[s], arguments: scriptArgs) }
        }
    }

    /// Runs `body` with Ctrl-C interrupting the Lua code; reports an error like lua.c.
    static func report(_ vm: LuaVM, _ body: () throws -> Void) -> Bool {
        do {
            try vm.withInterrupts(body)
            return true
        } catch {
            printError("\(error)")
            return false
        }
    }
}
