import Foundation
import Glibc
import OptLabRuntime

/// `optlab sweep --summary runs/<name>`: the finished trials of a search,
/// best first, as a table, and how many ended otherwise.
enum SweepSummaryCommand {
    static func run(_ args: [String]) -> Int32 {
        guard args.count == 1 else {
            fputs(SweepCommand.usage + "\n", stderr)
            return 1
        }
        let dir = args[0]
        guard SearchFolder.isSearch(dir), var rows = try? SearchFolder(dir).trials(op: "sweep --summary") else {
            fputs("optlab: \(dir)/summary.jsonl not found (is \(dir) an hp.search folder?)\n", stderr)
            return 1
        }
        rows.sort { score($0) > score($1) }
        printTable(rows)
        var counts: [String: Int] = [:]
        for r in rows { counts[(r["status"] as? String) ?? "?", default: 0] += 1 }
        let others = counts.filter { $0.key != "ok" }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        print("\(rows.count) trials, \(counts["ok"] ?? 0) finished" + (others.isEmpty ? "" : " (" + others.joined(separator: ", ") + ")"))
        return 0
    }

    static func score(_ r: [String: Any]) -> Double { (r["score"] as? NSNumber)?.doubleValue ?? -.infinity }

    static func cell(_ v: Any?) -> String {
        switch v {
        case let n as NSNumber: let d = n.doubleValue; return d == d.rounded() && abs(d) < 1e6 ? String(Int(d)) : String(format: "%.3g", d)
        case let s as String: return s
        default: return "—"
        }
    }

    /// trial, stage, every hyperparameter, score and status, in aligned columns.
    static func printTable(_ rows: [[String: Any]]) {
        let names = Array(Set(rows.flatMap { ($0["config"] as? [String: Any])?.keys ?? [:].keys })).sorted()
        let header = ["trial", "stage"] + names + ["score", "status"]
        let table = [header] + rows.map { r in
            [cell(r["trial"]), cell(r["stage"])] + names.map { cell((r["config"] as? [String: Any])?[$0]) }
                + [r["score"] == nil ? "—" : String(format: "%.4f", score(r)), (r["status"] as? String) ?? "?"]
        }
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        for row in table {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }
}
