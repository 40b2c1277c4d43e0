import Foundation
import OptLabLua
import OptLabRuntime

/// The bindings' rows: per-call cost of small ops from Lua, beside numpy's
/// cost for the same op from Python, and start-up time.
enum LuaBenchmarks {
    static let numpyScript = """
    x = np.ones(4, np.float32); y = np.ones(4, np.float32); w = np.ones((64, 64), np.float32); a = np.ones((64, 64), np.float32)
    report('add4', per_call(lambda: x + y, 200000))
    report('sum4', per_call(lambda: x.sum(), 200000))
    report('mm64', per_call(lambda: a @ w, 20000))
    """

    /// Seconds per iteration of `body` in a Lua loop, median of 7 runs.
    static func luaPerCall(_ vm: LuaVM, setup: String, body: String, iterations: Int) throws -> Double {
        try vm.run(code: setup)
        try vm.run(code: """
        function __bench()
          for _ = 1, \(iterations) do \(body) end
        end
        """)
        try vm.run(code: "__bench()")  // warm-up
        var samples: [Double] = []
        for _ in 0..<7 {
            let t0 = now()
            try vm.run(code: "__bench()")
            samples.append((now() - t0) / Double(iterations))
        }
        return samples.sorted()[3]
    }

    static func run() throws -> [Row] {
        let ref = NumpyReference.run(numpyScript)
        let vm = try LuaVM()
        let setup = "x = tensor.ones(4); y = tensor.ones(4); a = tensor.ones(64, 64); w = tensor.ones(64, 64)"
        let add = try luaPerCall(vm, setup: setup, body: "local z = x + y", iterations: 200_000)
        let sum = try luaPerCall(vm, setup: setup, body: "local s = x:sum()", iterations: 200_000)
        let mm = try luaPerCall(vm, setup: setup, body: "local c = a:matmul(w)", iterations: 20_000)
        var rows = [
            Row(name: "Lua `x + y`, 4 elements", unit: "µs", ours: add * 1e6, reference: ref["add4"].map { $0 * 1e6 }, higherIsBetter: false),
            Row(name: "Lua `x:sum()`, 4 elements", unit: "µs", ours: sum * 1e6, reference: ref["sum4"].map { $0 * 1e6 }, higherIsBetter: false),
            Row(name: "Lua `a:matmul(w)`, 64×64", unit: "µs", ours: mm * 1e6, reference: ref["mm64"].map { $0 * 1e6 }, higherIsBetter: false),
        ]
        rows.append(startup())
        return rows
    }

    /// Wall time of `optlab -e ''` (a full start: Lua, the libraries, help
    /// texts), beside plain `lua5.4 -e ''` when it is installed. Spawned with
    /// posix_spawn: Foundation's Process adds tens of milliseconds of its own.
    static func startup() -> Row {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let optlab = here.appendingPathComponent("optlab").path
        func median(_ path: String) -> Double? {
            guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
            var samples: [Double] = []
            for _ in 0..<21 {
                let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup("-e"), strdup(""), nil]
                defer { argv.forEach { free($0) } }
                var pid: pid_t = 0
                let t0 = now()
                guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return nil }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                samples.append(now() - t0)
            }
            return samples.sorted()[10]
        }
        return Row(name: "start-up, `optlab -e ''` (reference: plain `lua5.4 -e ''`)", unit: "ms",
                   ours: (median(optlab) ?? .nan) * 1e3, reference: median("/usr/bin/lua5.4").map { $0 * 1e3 }, higherIsBetter: false)
    }
}
