import OptLabLua
import OptLabRuntime

let optlabVersion = "0.1.0"
let args = Array(CommandLine.arguments.dropFirst())
if args.first == "--version" || args.first == "-v" {
    print("optlab \(optlabVersion) (\(luaRelease))")
} else {
    print("optlab \(optlabVersion): the Lua REPL and script runner are not built yet; only --version works.")
}
