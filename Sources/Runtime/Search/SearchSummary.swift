import Foundation

/// A search folder's `summary.jsonl`, one record per finished trial, in the
/// order written. A trial can be recorded twice (a Slurm task taken for lost
/// that then finished); readers see each trial once, as last written.
public enum SearchSummary {
    public static func trials(in dir: String, op: String) throws -> [[String: Any]] {
        let text = String(decoding: try AtomicFile.read(dir + "/summary.jsonl", op: op), as: UTF8.self)
        let all = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        var latest: [Int: Int] = [:]
        for (i, r) in all.enumerated() { if let t = (r["trial"] as? NSNumber)?.intValue { latest[t] = i } }
        return all.enumerated().filter { i, r in (r["trial"] as? NSNumber).map { latest[$0.intValue] == i } ?? true }.map(\.element)
    }
}
