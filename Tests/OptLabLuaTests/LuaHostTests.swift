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
}
