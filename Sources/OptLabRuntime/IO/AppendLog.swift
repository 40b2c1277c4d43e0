import Foundation
import Glibc

/// The one writer of append-only files: a run's metrics.jsonl and
/// histograms.jsonl, TensorBoard's event files, a search's summary.jsonl,
/// asha.jsonl and its trials' progress.jsonl. (Files written whole go
/// through `AtomicFile`.)
///
/// Every record is written with one `write(2)` on an `O_APPEND` descriptor,
/// so records of concurrent writers (a search's workers) never interleave,
/// and every write's result is checked: a short or failed write is an error
/// naming the file, never a silently missing line.
///
/// Durability, stated once:
/// - `.synced`: fsync after every record. For the files that coordinate
///   processes (a search's summary, successive halving's jobs): a worker's
///   result must outlive a crash of the machine before the master reads it.
/// - `.written`: the kernel writes the record back when it will. For a
///   run's own records (metrics, histograms, events), written every step: a
///   crashed process loses nothing it wrote; a crashed machine may lose the
///   last seconds, which resume redoes from its synced resume state.
public final class AppendLog {
    public enum Durability: Sendable { case synced, written }

    public let path: String
    public let durability: Durability
    /// The public function its errors name.
    let op: String
    private let fd: Int32

    public init(_ path: String, durability: Durability, op: String) throws {
        try PathName.checkPath(path, op: op, what: "the file's path")
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError(op, "cannot open \(path)") }
        (self.path, self.durability, self.op) = (path, durability, op)
    }

    deinit { close(fd) }

    /// Appends `record` whole.
    public func append(_ record: [UInt8]) throws {
        // A short write sets no errno (a full disk's first sign is one); the
        // next write of the rest says why.
        var off = 0
        while off < record.count {
            let n = record.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { errno = ENOSPC }
                throw AtomicFile.ioError(op, "cannot append to \(path)")
            }
            off += n
        }
        if durability == .synced, fsync(fd) != 0 { throw AtomicFile.ioError(op, "cannot sync \(path)") }
    }

    /// Appends `object` as one line of JSON (keys sorted, slashes as they are).
    public func appendJSONLine(_ object: Any) throws {
        var line = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]))
        line.append(0x0a)
        try append(line)
    }

    /// Opens, appends one record and closes: for a file written now and then
    /// by several processes (a search's summary).
    public static func append(_ record: [UInt8], to path: String, durability: Durability, op: String) throws {
        try AppendLog(path, durability: durability, op: op).append(record)
    }
}
