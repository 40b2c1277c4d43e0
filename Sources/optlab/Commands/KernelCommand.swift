import Glibc
import OptLabLua

/// `optlab --kernel CONNECTION_FILE`: the Jupyter kernel, as Jupyter starts
/// it (`optlab kernel install` writes the kernelspec that says so).
enum KernelCommand {
    static func run(_ args: [String]) -> Int32 {
        guard args.count == 1 else {
            fputs("usage: optlab --kernel CONNECTION_FILE (Jupyter starts it so; see optlab kernel install)\n", stderr)
            return 1
        }
        let vm: LuaVM
        do { vm = try LuaVM() } catch {
            printError("\(error)")
            return 1
        }
        do {
            return try JupyterKernel(vm: vm, connectionFile: args[0]).run()
        } catch {
            printError("cannot start the kernel: \(error)")
            return 1
        }
    }
}
