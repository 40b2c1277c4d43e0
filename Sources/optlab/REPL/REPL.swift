import Glibc
import OptLabLua
import OptLabRuntime

/// The interactive session, built like lua.c's: read a line, try it as
/// `return <line>`, read on while the error ends in `<eof>`, print the values.
struct REPL {
    let vm: LuaVM
    let interactive = isatty(0) != 0
    /// The functions of repl.lua: status, run, time, complete, set_timer, shell.
    var support: [String: LuaValue] = [:]
    /// `optlab -t`: the time of each entry that takes this long (seconds) is printed.
    let timer: Double?

    init(vm: LuaVM, timer: Double? = nil) {
        self.vm = vm
        self.timer = timer
    }

    static var historyPath: String? {
        let env = Environment.variables
        if let state = env["XDG_STATE_HOME"], !state.isEmpty {
            mkdir(state, 0o755)
            mkdir(state + "/optlab", 0o755)
            return state + "/optlab/history"
        }
        return env["HOME"].map { $0 + "/.optlab_history" }
    }

    mutating func run() -> Int32 {
        let colors = isatty(1) != 0 && Environment.value("NO_COLOR") == nil
        do {
            let now = try vm.function(named: "now") { _ in [.number(monotonicSeconds())] }
            let loaded = try vm.load(chunk: PackageResources.repl_lua, name: "@optlab/repl.lua", arguments: [now, .bool(colors)])
            guard case .record(let fields)? = loaded.first else { throw LuaError(message: "repl.lua returned no table") }
            support = Dictionary(fields, uniquingKeysWith: { a, _ in a })
            if let timer { try vm.call(function: support["set_timer"] ?? .nil, [.string(String(timer)), .bool(true)]) }
        } catch {
            fputs("optlab: cannot start the REPL: \(error)\n", stderr)
            return 1
        }
        var reader: LineReader
        if interactive, let el = EditLineReader(program: "optlab", historyPath: REPL.historyPath, completer: complete) {
            reader = el
        } else {
            reader = PlainReader()
        }
        if interactive { print("optlab \(optlabVersion) (\(luaRelease)). help() lists the modules; help(f) explains f; Ctrl-D exits.") }
        while true {
            guard let entry = readEntry(&reader) else { break }
            if entry.trimmingTrailingSpaces().isEmpty { continue }
            reader.remember(entry)
            evaluate(entry)
        }
        if interactive { print("") }
        return 0
    }

    /// One complete entry, reading continuation lines while Lua says `<eof>`.
    func readEntry(_ reader: inout LineReader) -> String? {
        var entry = ""
        while true {
            let prompt = entry.isEmpty ? "> " : ">> "
            switch reader.read(prompt: interactive ? prompt : "") {
            case .end:
                return entry.isEmpty ? nil : entry
            case .interrupted:
                entry = ""
                continue
            case .line(let line):
                entry = entry.isEmpty ? line : entry + "\n" + line
                if entry.hasPrefix(":") || entry.hasPrefix("$") { return entry }
                let status = (try? vm.call(function: support["status"] ?? .nil, [.string(entry)]))?.first?.string ?? "error"
                if status != "incomplete" { return entry }
            }
        }
    }

    func evaluate(_ entry: String) {
        do {
            try vm.withInterrupts {
                if entry.hasPrefix(":time ") {
                    try vm.call(function: support["time"] ?? .nil, [.string(String(entry.dropFirst(6)))])
                } else if entry.hasPrefix(":timer") {
                    try vm.call(function: support["set_timer"] ?? .nil, [.string(String(entry.dropFirst(6)))])
                } else if entry.hasPrefix("$") {
                    try vm.call(function: support["shell"] ?? .nil, [.string(String(entry.dropFirst()))])
                } else {
                    try vm.call(function: support["run"] ?? .nil, [.string(entry)])
                }
            }
        } catch {
            fputs("\(error)\n", stderr)
        }
        fflush(stdout)
    }

    func complete(_ word: String, _ line: String) -> [String] {
        guard case .array(let items)? = (try? vm.call(function: support["complete"] ?? .nil, [.string(word), .string(line)]))?.first else { return [] }
        return items.compactMap(\.string)
    }
}
