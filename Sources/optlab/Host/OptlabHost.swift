import Foundation
import Glibc
import OptLabLua
import OptLabRuntime

/// What the optlab executable provides to the Lua face (`LuaHost`): the live
/// trial table on a terminal, and worker processes that are this same
/// executable in worker mode.
final class OptlabHost: LuaHost {
    static let shared = OptlabHost()
    static let masterVariable = "OPTLAB_SWEEP_MASTER"

    /// Rows and columns of the terminal stdout is, or nil on a pipe or in a file (plain lines then).
    func liveTableSize() -> (rows: Int, columns: Int)? {
        guard isatty(1) == 1, Environment.value("TERM") != "dumb" else { return nil }
        var w = winsize()
        let known = ioctl(1, UInt(TIOCGWINSZ), &w) == 0 && w.ws_row > 0 && w.ws_col > 0
        return (known ? Int(w.ws_row) : 24, known ? Int(w.ws_col) : 80)
    }

    /// Moves up over the lines drawn last time, clears to the end, and draws.
    func drawLiveTable(_ lines: [String], replacing previous: Int) {
        var out = previous > 0 ? "\u{1B}[\(previous)F\u{1B}[J" : ""
        out += lines.joined(separator: "\n") + "\n"
        fputs(out, stdout)
        fflush(stdout)
    }

    func startSearchWorker(script: String) throws -> Int32 {
        try OptlabHost.spawnWorker(script: script)
    }

    func landscapeWorkerCommand() -> [String]? {
        [(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0], "--landscape-worker"]
    }

    /// A worker of a local sweep: this executable in worker mode, with one
    /// thread (optlab's and BLAS's; two workers use two cores) and the master's pid, so it
    /// waits for more trials while its master lives (between stages, and
    /// before the master has reached `hp.search`) and leaves when the master
    /// is gone and the queue is empty.
    static func spawnWorker(script: String) throws -> pid_t {
        try spawnSelf(["optlab", "--sweep-worker", script], setting: ProcessSpawn.oneThread.merging([masterVariable: String(getpid())]) { a, _ in a }, op: "hp.search")
    }

    /// This executable with `args`, its environment but for the variables
    /// `setting` gives (a worker's thread count, its master).
    static func spawnSelf(_ args: [String], setting: [String: String], op: String) throws -> pid_t {
        try ProcessSpawn.start("/proc/self/exe", args, setting: setting, op: op)
    }
}
