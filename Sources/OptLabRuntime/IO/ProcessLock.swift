import Foundation
import Synchronization

/// A lock file held by this process for as long as it lives: `flock` on an
/// open descriptor, so two processes started at the same instant cannot both
/// take it, and the kernel lets go when the holder dies (no pid to check, so a
/// reused or unrelated live pid in the file fools nobody). The holder's pid is
/// written into the file for people and workers to read.
///
/// The file is removed on release while still locked; whoever opened the old
/// file before it went checks, once it has the lock, that the path still names
/// the file it locked, and tries again otherwise.
public enum ProcessLock {
    private static let held = Mutex<[String: Int32]>([:])

    /// Takes the lock at `path`, or returns the pid of the live process that
    /// holds it (nil when the file names none). Taking a lock this process
    /// holds already succeeds.
    public static func acquire(_ path: String, op: String) throws -> Int32? {
        if held.withLock({ $0[path] != nil }) { return nil }
        for _ in 0..<100 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RuntimeError(.io, op, "cannot create the lock \(path): \(String(cString: strerror(errno)))") }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                close(fd)
                if e == EWOULDBLOCK || e == EINTR { return holder(path) ?? 0 }
                throw RuntimeError(.io, op, "cannot lock \(path): \(String(cString: strerror(e)))")
            }
            // the path may have been released (removed) between our open and our lock
            var mine = stat(), there = stat()
            guard fstat(fd, &mine) == 0, stat(path, &there) == 0, mine.st_ino == there.st_ino, mine.st_dev == there.st_dev else {
                close(fd); continue
            }
            let text = Array("\(getpid())\n".utf8)
            guard ftruncate(fd, 0) == 0, text.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == text.count else {
                let e = errno
                unlink(path); close(fd)
                throw RuntimeError(.io, op, "cannot write the lock \(path): \(String(cString: strerror(e)))")
            }
            held.withLock { $0[path] = fd }
            return nil
        }
        throw RuntimeError(.io, op, "cannot take the lock \(path): it keeps being replaced")
    }

    /// Lets go of the lock at `path` if this process holds it.
    public static func release(_ path: String) {
        guard let fd = held.withLock({ $0.removeValue(forKey: path) }) else { return }
        unlink(path)
        close(fd)
    }

    /// The pid of the process holding the lock at `path` (this one included),
    /// or nil when no live process holds it.
    public static func holder(_ path: String) -> Int32? {
        if held.withLock({ $0[path] != nil }) { return getpid() }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { return nil }   // nobody holds it: a dead master's file
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 32, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: bytes[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
