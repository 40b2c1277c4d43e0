import Foundation
import Testing
import OptLabLua
import OptLabRuntime

/// A Swift host that embeds LuaVM runs searches in process, draws the live
/// table its own way, and gets a clear error when a sweep asks it for worker
/// processes it cannot start.
@Suite(.serialized) struct LuaHostTests {
    final class RecordingHost: LuaHost {
        var frames: [(lines: [String], previous: Int)] = []
        func liveTableSize() -> (rows: Int, columns: Int)? { (12, 100) }
        func drawLiveTable(_ lines: [String], replacing previous: Int) { frames.append((lines, previous)) }
    }

    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("host-\(UUID().uuidString)").path
    }

    static func search(_ dir: String) -> String {
        """
        return hp.search{name = "s", dir = "\(dir)", trials = 3, space = {a = hp.uniform(0, 1)},
                         trial = function(cfg) return -(cfg.a - 0.5) ^ 2 end}.best.score
        """
    }

    @Test func aSearchRunsInProcessWithoutAHostInPlainLines() throws {
        let vm = try LuaVM()
        final class Output: @unchecked Sendable { var text = "" }   // print runs on this thread
        let out = Output()
        try vm.capturePrint { s in out.text += s }
        let best = try vm.run(code: LuaHostTests.search(LuaHostTests.folder())).first?.number
        let printed = out.text
        #expect(best != nil && best! <= 0)
        #expect(printed.contains("stage 1/1: 3 trials"), "plain lines: \(printed)")
        #expect(!printed.contains("\u{1B}["), "no terminal codes from the library")
    }

    @Test func theHostDrawsTheLiveTable() throws {
        let vm = try LuaVM()
        let host = RecordingHost()
        vm.host = host
        try vm.capturePrint { _ in }
        _ = try vm.run(code: LuaHostTests.search(LuaHostTests.folder()))
        #expect(host.frames.count >= 3, "drawn as trials ran: \(host.frames.count)")
        #expect(host.frames.first?.previous == 0)
        for (prev, next) in zip(host.frames, host.frames.dropFirst()) where next.previous != 0 {
            #expect(next.previous == prev.lines.count, "each frame replaces the one before it")
        }
        #expect(host.frames.last?.lines.last?.contains("3/3 done") == true)
    }

    @Test func workerProcessesWithoutAWayToStartThemAreAClearError() throws {
        let vm = try LuaVM()
        try vm.capturePrint { _ in }
        vm.sweepRole = .master(script: "x.lua", backend: .local(workers: 2), directory: "", executable: "")
        do {
            try vm.run(code: LuaHostTests.search(LuaHostTests.folder()), name: "=host.lua")
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.message.contains("cannot start worker processes"), "\(e.message)")
            #expect(!e.message.contains("__"))
        }
        #expect(vm.searchesBegun == 1)
        // and a script that asks for workers outside a sweep is told how to get them
        let plain = try LuaVM()
        do {
            try plain.run(code: "hp.search{space = {}, trial = function() return 1 end, workers = 2, quiet = true, dir = '\(LuaHostTests.folder())'}", name: "=w.lua")
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.message.hasPrefix("w.lua:1: hp.search: workers > 1 needs the master"), "\(e.message)")
        }
    }

    @Test func aTrialFailingInAWorkerPointsAtItsFolderNotAtTrainLast() throws {
        let vm = try LuaVM()
        try vm.capturePrint { _ in }
        vm.sweepRole = .worker(script: "x.lua", trial: nil)
        let dir = LuaHostTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try vm.run(code: """
                local d = data.spiral{classes = 2, per_class = 10}
                local m = nn.Sequential{nn.Linear(2, 2)}
                train.fit{model = m, loss = function(s, y) return s:sum() * (0 / 0) end, optimizer = optim.SGD(m, {lr = 0.1}),
                          train = d, epochs = 1, quiet = true, log = "\(dir)"}
                """, name: "=worker.lua")
            Issue.record("expected the NaN stop")
        } catch let e as LuaError {
            #expect(e.message.contains("is in \(dir) (metrics.jsonl)"), "\(e.message)")
            #expect(!e.message.contains("train.last"), "\(e.message)")
        }
    }

    // MARK: landscape workers

    final class WorkerHost: LuaHost {
        let command: [String]?
        init(_ command: [String]?) { self.command = command }
        func landscapeWorkerCommand() -> [String]? { command }
    }

    static let landscape = """
        tensor.seed(5)
        local x = tensor.randn({40, 3})
        local y = tensor.from((function() local t = {} for i = 1, 40 do t[i] = i % 2 + 1 end return t end)(), "i32")
        local spec = {model = nn.Sequential{nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)}, loss = nn.SoftmaxCrossEntropy(),
                      data = data.dataset(x, y), grid = 4, seed = 1}
        local here = monitor.landscape(spec)
        spec.workers = 2
        local there = monitor.landscape(spec)
        local same = true
        for i = 1, 4 do for j = 1, 4 do same = same and here.values[i][j] == there.values[i][j] end end
        return tostring(same), table.concat(there.rows_here, ","), tostring(there)
        """

    @Test func rowsAWorkerDidNotDeliverAreEvaluatedHereAndCounted() throws {
        let vm = try LuaVM()
        // every worker fails at once
        vm.host = WorkerHost(["/bin/false"])
        let r = try vm.run(code: LuaHostTests.landscape)
        #expect(r[0].string == "true", "the grid equals the one made in process")
        #expect(r[1].string == "1,2,3,4")
        #expect(r[2].string?.contains("4 of 4 rows were evaluated here") == true, "\(r[2])")
        // a worker that leaves a row half written: the row is not taken as it is
        vm.host = WorkerHost(["/bin/sh", "-c", "[ \"$3\" = 0/2 ] && printf '1\\n2\\n' > \"$1/row-0.txt\"; exit 0", "sh"])
        let h = try vm.run(code: LuaHostTests.landscape)
        #expect(h[0].string == "true")
        #expect(h[1].string == "1,2,3,4")
    }

    @Test func landscapeWorkersWithoutAWayToStartThemAreAClearError() throws {
        let vm = try LuaVM()
        do {
            try vm.run(code: LuaHostTests.landscape, name: "=host.lua")
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.message.contains("monitor.landscape"), "\(e.message)")
            #expect(e.message.contains("cannot start worker processes"), "\(e.message)")
        }
    }
}
