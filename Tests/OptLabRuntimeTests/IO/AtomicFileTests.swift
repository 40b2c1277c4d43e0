import Foundation
import Testing
@testable import OptLabRuntime

/// Crash-safe writes: what a killed writer leaves behind is cleaned up by the
/// next save into its folder (a run names each checkpoint anew, so the same
/// file is never saved again), never what a live writer is still writing.
@Suite struct AtomicFileTests {
    @Test func theNextSaveRemovesTemporariesOfDeadWriters() throws {
        let dir = makeTemporaryDirectory("optlab-atomic")
        let target = dir + "/m.safetensors"
        // a process that has exited: its pid is no one's now
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run()
        done.waitUntilExit()
        let dead = "\(dir)/.m.safetensors.tmp-\(done.processIdentifier)-12345"
        let live = "\(dir)/.m.safetensors.tmp-1-777"            // pid 1 lives as long as the machine
        // a killed save of epoch 3's checkpoint, then a save of epoch 4's: the folder is the same, the name is not
        let other = "\(dir)/.ep003_val0.8812.safetensors.tmp-\(done.processIdentifier)-9"
        let mine = "\(dir)/.notes.tmp"                                  // a dotfile of the user's, no pid: left alone
        for p in [dead, live, other, mine] { _ = FileManager.default.createFile(atPath: p, contents: Data(repeating: 7, count: 100)) }
        try AtomicFile.write([1, 2, 3], to: target, op: "test")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(!names.contains((dead as NSString).lastPathComponent), "the dead writer's temporary is gone")
        #expect(names.contains((live as NSString).lastPathComponent), "a live writer's is kept")
        #expect(!names.contains((other as NSString).lastPathComponent), "another target's, from a dead writer, is gone too")
        #expect(names.contains((mine as NSString).lastPathComponent), "a file that is no writer's temporary is kept")
        #expect(try AtomicFile.read(target, op: "test") == [1, 2, 3])
    }
}
