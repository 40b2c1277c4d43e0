import Foundation
import Testing
@testable import OptLabRuntime

/// Crash-safe writes: what a killed writer leaves behind is cleaned up by the
/// next save of the same file, never what a live writer is still writing.
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
        let other = "\(dir)/.other.safetensors.tmp-\(done.processIdentifier)-9"   // another file's: not ours to judge
        for p in [dead, live, other] { FileManager.default.createFile(atPath: p, contents: Data(repeating: 7, count: 100)) }
        try AtomicFile.write([1, 2, 3], to: target, op: "test")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(!names.contains((dead as NSString).lastPathComponent), "the dead writer's temporary is gone")
        #expect(names.contains((live as NSString).lastPathComponent), "a live writer's is kept")
        #expect(names.contains((other as NSString).lastPathComponent), "another target's is kept")
        #expect(try AtomicFile.read(target, op: "test") == [1, 2, 3])
    }
}
