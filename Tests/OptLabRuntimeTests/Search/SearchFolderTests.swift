import Foundation
import Testing
@testable import OptLabRuntime

/// The one reader and writer of search folders: layout, summary, lock,
/// claims and checkpoints, on real files in a temporary folder.
@Suite struct SearchFolderTests {
    static func scratch() throws -> SearchFolder {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)").path
        try RunFolder.makeDirectories(dir + "/queue")
        try RunFolder.makeDirectories(dir + "/running")
        return SearchFolder(dir)
    }

    @Test func layoutNamesTrialsByStageAndNumber() {
        #expect(SearchFolder("runs/x").trialDirectory(stage: 2, trial: 7) == "runs/x/s2-t007")
        #expect(SearchFolder("runs/x").summaryPath == "runs/x/summary.jsonl")
    }

    @Test func theSummaryShowsEachTrialOnceAsLastWritten() throws {
        let f = try SearchFolderTests.scratch()
        for line in [#"{"trial":1,"status":"cancelled"}"#, #"{"trial":2,"status":"ok","score":0.5}"#, #"{"trial":1,"status":"ok","score":0.9}"#] {
            try SearchFolder.appendLine(Array(line.utf8), to: f.summaryPath, op: "test")
        }
        let rows = try f.trials(op: "test")
        #expect(rows.count == 2)
        #expect(rows.map { ($0["trial"] as? Int) ?? -1 } == [2, 1])
        #expect(rows.last?["status"] as? String == "ok")
        #expect(SearchFolder.isSearch(f.root))
    }

    @Test func oneClaimantWinsAndHoldersSayWho() throws {
        let f = try SearchFolderTests.scratch()
        try AtomicFile.write(Array("{}".utf8), to: f.queue + "/3.json", op: "test")
        #expect(f.claim(trial: 3, owner: "111"))
        #expect(!f.claim(trial: 3, owner: "222"), "the second claim of one trial fails")
        #expect(f.holders() == [3: "111"])
        #expect(!f.claim(trial: 4, owner: "111"), "nothing queued, nothing claimed")
    }

    @Test func aLiveHolderIsRefusedAFileAloneHoldsNothing() throws {
        let f = try SearchFolderTests.scratch()
        try f.lock()
        #expect(f.lockHolder() == getpid())
        try f.lock()   // our own lock again is fine
        f.unlock()
        #expect(f.lockHolder() == nil)
        #expect(!FileManager.default.fileExists(atPath: f.lockPath), "released, the lock file is gone")
        // a file naming a live process (pid 1) that holds no lock on it: taken
        try AtomicFile.write(Array("1\n".utf8), to: f.lockPath, op: "test")
        #expect(f.lockHolder() == nil)
        try f.lock()
        #expect(f.lockHolder() == getpid())
        f.unlock()
        // another holder (an open file description of its own, as another process has): refused, naming its pid
        try AtomicFile.write(Array("4242\n".utf8), to: f.lockPath, op: "test")
        let other = open(f.lockPath, O_RDWR)
        defer { close(other) }
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
        #expect(f.lockHolder() == 4242)
        #expect(throws: RuntimeError.self) { try f.lock() }
        do { try f.lock() } catch let e as RuntimeError { #expect(e.message.contains("another master (pid 4242) is running this sweep")) }
        flock(other, LOCK_UN)
        try f.lock()
        #expect(f.lockHolder() == getpid())
        f.unlock()
    }

    @Test func checkpointNamesAreWrittenAndReadInOnePlace() throws {
        #expect(CheckpointName.make(epoch: 5, score: 0.88123) == "ep005_val0.8812.safetensors")
        #expect(CheckpointName.score(of: "ep005_val0.8812.safetensors") == 0.8812)
        #expect(CheckpointName.score(of: "resume.safetensors") == nil)
        #expect(CheckpointName.score(of: "epxx_val0.5.safetensors") == nil)
        #expect(CheckpointName.score(of: "ep001_val0.5.npy") == nil)
    }

    @Test func topCheckpointsTakeEachBestTrialsBestFile() throws {
        let f = try SearchFolderTests.scratch()
        let model = try Sequential([Linear(2, 2)])
        for (t, scores) in [(1, [0.5, 0.7]), (2, [0.9]), (3, [0.6])] {
            let dir = f.trialDirectory(stage: 1, trial: t)
            try RunFolder.makeDirectories(dir)
            for (e, s) in scores.enumerated() { try RunFolder(dir).checkpoint(model, epoch: e + 1, score: s) }
            let best = scores.max()!
            try SearchFolder.appendLine(Array(#"{"trial":\#(t),"status":"ok","score":\#(best),"dir":"\#(dir)"}"#.utf8), to: f.summaryPath, op: "test")
        }
        try SearchFolder.appendLine(Array(#"{"trial":4,"status":"failed","dir":"nowhere"}"#.utf8), to: f.summaryPath, op: "test")
        let top = try f.topCheckpoints(2)
        #expect(top.map { ($0 as NSString).lastPathComponent } == ["ep001_val0.9000.safetensors", "ep002_val0.7000.safetensors"])
        #expect(throws: RuntimeError.self) { try SearchFolder(f.root + "/nothing").topCheckpoints(1) }
    }

    /// Successive halving: trial 2 scored 0.9 at rung 1 (half an epoch) and
    /// stopped; trials 1 and 3 went on to rung 2 with 0.8 and 0.7. The top two
    /// are the rung-2 trials, as hp.search ranks them.
    @Test func topCheckpointsRankByRungFirst() throws {
        let f = try SearchFolderTests.scratch()
        let model = try Sequential([Linear(2, 2)])
        for (t, rung, score) in [(1, 2, 0.8), (2, 1, 0.9), (3, 2, 0.7)] {
            let dir = f.trialDirectory(stage: 1, trial: t)
            try RunFolder.makeDirectories(dir)
            try RunFolder(dir).checkpoint(model, epoch: rung, score: score)
            try SearchFolder.appendLine(Array(#"{"trial":\#(t),"status":"ok","score":\#(score),"rung":\#(rung),"dir":"\#(dir)"}"#.utf8), to: f.summaryPath, op: "test")
        }
        let top = try f.topCheckpoints(2).map { (($0 as NSString).deletingLastPathComponent as NSString).lastPathComponent }
        #expect(top == ["s1-t001", "s1-t003"])
    }
}
