import Glibc

/// Whole-file reads and crash-safe writes.
///
/// A write goes to a temporary file beside the target, is fsynced, then
/// renamed over the target, and the directory is fsynced: a crash at any
/// point leaves either the old file or the new one under the real name,
/// never half of one. A failed write leaves the old file untouched.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, op: String) throws {
        try PathName.checkPath(path, op: op, what: "the file's path")
        let dir = directory(of: path)
        removeStaleTemporaries(in: dir)
        let tmp = "\(dir)/.\(basename(of: path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            // Said of the folder the user named, not of the temporary file.
            let reason = String(cString: strerror(errno))
            var st = stat()
            if stat(dir, &st) != 0 { throw RuntimeError(.io, op, "folder \(dir) does not exist (writing \(path))") }
            if st.st_mode & S_IFMT != S_IFDIR { throw RuntimeError(.io, op, "\(dir) is not a folder (writing \(path))") }
            throw RuntimeError(.io, op, "cannot write \(path): \(reason)")
        }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try bytes.withUnsafeBytes { buf in
                var off = 0
                while off < buf.count {
                    let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw ioError(op, "cannot write \(path)")
                    }
                    off += n
                }
            }
            guard fsync(fd) == 0 else { throw ioError(op, "cannot sync \(path)") }
        }
        guard rename(tmp, path) == 0 else { throw ioError(op, "cannot replace \(path)") }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Reads a whole file. Refuses non-regular files (a FIFO would block forever).
    public static func read(_ path: String, op: String) throws -> [UInt8] {
        try PathName.checkPath(path, op: op, what: "the file's path")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(op, "cannot open \(path)") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError(op, "cannot stat \(path)") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw RuntimeError(.io, op, "\(path) is not a regular file")
        }
        let size = Int(st.st_size)
        try Storage.ensureRoom(size, op: op, for: "the contents of \(path)")
        var bytes = [UInt8](repeating: 0, count: size)
        var off = 0
        try bytes.withUnsafeMutableBytes { buf in
            while off < size {
                let n = Glibc.read(fd, buf.baseAddress! + off, size - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError(op, "cannot read \(path)")
                }
                if n == 0 { break }
                off += n
            }
        }
        if off < size { bytes.removeLast(size - off) }
        return bytes
    }

    static func ioError(_ op: String, _ what: String) -> RuntimeError {
        RuntimeError(.io, op, "\(what): \(String(cString: strerror(errno)))")
    }

    /// A writer killed mid-save leaves `.name.tmp-PID-N` behind; the next save
    /// into the same folder (of any file: a run's checkpoints are named anew
    /// each epoch) removes those whose process is gone, never a live one's.
    static func removeStaleTemporaries(in dir: String) {
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        var stale: [String] = []
        while let entry = readdir(d) {
            // (read the name in place: copying the whole dirent reads past a record shorter than the struct)
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard let pid = temporaryOwner(name) else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { stale.append(name) }
        }
        for name in stale { unlink(dir + "/" + name) }
    }

    /// The pid in a temporary file's name (`.target.tmp-PID-N`), or nil for any other file.
    static func temporaryOwner(_ name: String) -> Int32? {
        guard name.hasPrefix("."), let mark = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let parts = name[mark.upperBound...].split(separator: "-")
        guard parts.count == 2, let pid = Int32(parts[0]), UInt32(parts[1]) != nil else { return nil }
        return pid
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
