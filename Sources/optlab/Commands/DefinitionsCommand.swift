import Glibc
import OptLabLua
import OptLabRuntime

/// `optlab definitions [DIR]`: writes DIR/optlab.lua (default DIR:
/// `definitions`), lua-language-server definitions of everything help()
/// knows, made by definitions.lua from help()'s own registry. An editor
/// reads them with `workspace.library` pointing at DIR. (Never put the file
/// on Lua's package.path: `require "optlab"` would find it before optlab.so.)
enum DefinitionsCommand {
    static let usage = "usage: optlab definitions [DIR]"

    static func run(_ args: [String]) -> Int32 {
        if args.first == "--help" || args.first == "-h" {
            print(usage + "\n  writes DIR/optlab.lua (default DIR: definitions), lua-language-server definitions of every function,\n"
                  + "  method and option help() knows; point the editor's workspace.library at DIR")
            return 0
        }
        guard args.count <= 1 else {
            fputs(usage + "\n", stderr)
            return 1
        }
        let dir = args.first ?? "definitions"
        do {
            let vm = try LuaVM()
            guard let text = try vm.run(code: "return require('optlab').definitions()", name: "=definitions").first?.string else {
                throw LuaError(message: "optlab definitions: the generator returned no text")
            }
            try RunFolder.makeDirectories(dir, op: "optlab definitions")
            try AtomicFile.write(Array(text.utf8), to: dir + "/optlab.lua", op: "optlab definitions")
            print("wrote \(dir)/optlab.lua (\(text.split(separator: "\n").count) lines); point workspace.library at \(dir)")
            return 0
        } catch {
            printError("\(error)")
            return 1
        }
    }
}
