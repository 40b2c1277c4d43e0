import Foundation

/// One-off measurements kept in a run's folder for its page: the range test
/// (`lr_find.json`) and the latest line and plane landscapes
/// (`landscape-line.json`, `landscape-plane.json`), each its summary, its
/// numbers and its picture. They are usually made before training (the range
/// test) or after it (the landscape) by the same script, so a train.fit run
/// with `overwrite` leaves them as it leaves a search's records: the next
/// measurement of the kind replaces its file.
extension RunFolder {
    /// Each kind of measurement and its file's name.
    public enum Measurement: String, CaseIterable, Sendable {
        case rangeTest = "lr_find.json", line = "landscape-line.json", plane = "landscape-plane.json"
    }

    static func isMeasurement(_ name: String) -> Bool { Measurement(rawValue: name) != nil }

    /// Writes `record` as the file of `kind` in `dir` (atomically; the folder is made when missing).
    public static func writeMeasurement(_ kind: Measurement, into dir: String, record: [String: Any], op: String) throws {
        try makeDirectories(dir, op: op)
        let path = dir + "/" + kind.rawValue
        if isLink(path) { throw linkError(op, path) }
        guard JSONSerialization.isValidJSONObject(record) else { throw RuntimeError(.argument, op, "the measurement holds values JSON cannot") }
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        try AtomicFile.write(Array(data), to: path, op: op)
    }

    /// Numbers for JSON: a NaN or an infinity (a diverged loss) becomes null.
    public static func jsonNumbers(_ xs: [Double]) -> [Any] { xs.map { $0.isFinite ? $0 as Any : NSNull() } }
}
