import Foundation

/// One-off measurements kept in a run's folder for its page: the range test
/// (`lr_find.json`) and the latest line and plane landscapes
/// (`landscape-line.json`, `landscape-plane.json`), each its summary, its
/// numbers and its picture. They are usually made before training (the range
/// test) or after it (the landscape) by the same script, so a train.fit run
/// with `overwrite` leaves them as it leaves a search's records: the next
/// measurement of the kind replaces its file.
extension RunFolder {
    public static let measurementFiles: Set<String> = ["lr_find.json", "landscape-line.json", "landscape-plane.json"]

    static func isMeasurement(_ name: String) -> Bool { measurementFiles.contains(name) }

    /// Writes `record` as `dir/name` (atomically; the folder is made when missing).
    public static func writeMeasurement(_ name: String, into dir: String, record: [String: Any], op: String) throws {
        precondition(measurementFiles.contains(name), "not a measurement's file: \(name)")
        try makeDirectories(dir, op: op)
        let path = dir + "/" + name
        if isLink(path) { throw linkError(op, path) }
        guard JSONSerialization.isValidJSONObject(record) else { throw RuntimeError(.argument, op, "the measurement holds values JSON cannot") }
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        try AtomicFile.write(Array(data), to: path, op: op)
    }

    /// Numbers for JSON: a NaN or an infinity (a diverged loss) becomes null.
    public static func jsonNumbers(_ xs: [Double]) -> [Any] { xs.map { $0.isFinite ? $0 as Any : NSNull() } }
}
