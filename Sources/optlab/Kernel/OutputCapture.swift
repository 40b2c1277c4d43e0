import Foundation
import Glibc

/// Everything the process writes to fd 1 and fd 2 (Lua's print and
/// io.write, Swift's print, C libraries) becomes `stream` messages on IOPub
/// as it is written: each fd is a pipe read by a thread of its own.
final class OutputCapture: @unchecked Sendable {
    private let iopub: IOPub
    /// Held while a reader has taken bytes from its pipe and not yet published them.
    private let lock = NSLock()
    private var pipes: [(fd: Int32, read: Int32, name: String)] = []
    /// The kernel's own stderr before capture, for its log.
    let logFD: Int32

    init(iopub: IOPub) {
        self.iopub = iopub
        logFD = dup(2)
    }

    func start() throws {
        fflush(stdout)
        fflush(stderr)
        for (fd, name) in [(Int32(1), "stdout"), (Int32(2), "stderr")] {
            var p: [Int32] = [0, 0]
            guard pipe(&p) == 0, dup2(p[1], fd) >= 0 else { throw KernelError("cannot capture \(name): \(String(cString: strerror(errno)))") }
            close(p[1])
            let readEnd = p[0]
            pipes.append((fd, readEnd, name))
            let reader = Thread { [self] in self.read(readEnd, name: name) }
            reader.name = "optlab-\(name)"
            reader.start()
        }
        // Line-buffered, so that a print reaches the notebook as it happens.
        setvbuf(stdout, nil, _IOLBF, 0)
        setvbuf(stderr, nil, _IONBF, 0)
    }

    private func read(_ fd: Int32, name: String) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, -1) < 0 { if errno == EINTR { continue } else { return } }
            lock.lock()
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { lock.unlock(); if n < 0 && errno == EINTR { continue }; return }
            pending += buffer[0..<n]
            // A character split across two reads waits for its other half.
            let cut = OutputCapture.completeUTF8Prefix(pending)
            if cut > 0 {
                iopub.publish("stream", ["name": name, "text": String(decoding: pending[0..<cut], as: UTF8.self)])
                pending.removeFirst(cut)
            }
            lock.unlock()
        }
    }

    /// The length of the longest prefix that does not end inside a UTF-8 sequence.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1, back = 0
        while i >= 0, back < 4 {
            let b = bytes[i]
            if b & 0xC0 != 0x80 {   // a lead byte (or ASCII): is its sequence whole?
                let need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                return back + 1 >= need ? bytes.count : i
            }
            i -= 1
            back += 1
        }
        return bytes.count
    }

    /// Returns once everything written so far has been published: the
    /// outputs of a cell come before its result and its idle status.
    func drain() {
        fflush(stdout)
        fflush(stderr)
        for p in pipes {
            while true {
                lock.lock()
                var waiting: Int32 = 0
                let known = ioctl(p.read, UInt(FIONREAD), &waiting) == 0
                lock.unlock()
                if !known || waiting == 0 { break }
                usleep(500)
            }
        }
    }

    func log(_ message: String) {
        let line = "optlab kernel: \(message)\n"
        _ = line.withCString { write(logFD, $0, strlen($0)) }
    }
}

struct KernelError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
