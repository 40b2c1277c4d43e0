import Foundation

/// `optlab sweep --summary runs/<name>`: the finished trials of a search,
/// best first. (Only when no file named `sweep` exists.)
func sweepCommand() -> Int32? {
    let argv = CommandLine.arguments
    guard argv.count >= 2, argv[1] == "sweep", !FileManager.default.fileExists(atPath: "sweep") else { return nil }
    guard argv.count == 4, argv[2] == "--summary" else {
        fputs("""
        usage: optlab sweep --summary runs/<name>
        (running a sweep with worker processes or Slurm, `optlab sweep file.lua --workers N`,
        is not built yet; run hp.search in a script or the REPL)

        """, stderr)
        return 1
    }
    let path = argv[3] + "/summary.jsonl"
    guard let data = FileManager.default.contents(atPath: path) else {
        fputs("optlab: \(path) not found (is \(argv[3]) an hp.search folder?)\n", stderr)
        return 1
    }
    var rows: [[String: Any]] = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    func score(_ r: [String: Any]) -> Double { (r["score"] as? NSNumber)?.doubleValue ?? -.infinity }
    rows.sort { score($0) > score($1) }
    let names = Array(Set(rows.flatMap { ($0["config"] as? [String: Any])?.keys ?? [:].keys })).sorted()
    func cell(_ v: Any?) -> String {
        switch v {
        case let n as NSNumber: let d = n.doubleValue; return d == d.rounded() && abs(d) < 1e6 ? String(Int(d)) : String(format: "%.3g", d)
        case let s as String: return s
        default: return "—"
        }
    }
    let header = ["trial", "stage"] + names + ["score", "status"]
    let table = [header] + rows.map { r in
        [cell(r["trial"]), cell(r["stage"])] + names.map { cell((r["config"] as? [String: Any])?[$0]) }
            + [r["score"] == nil ? "—" : String(format: "%.4f", score(r)), (r["status"] as? String) ?? "?"]
    }
    let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
    for row in table {
        print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
    print("\(rows.count) trials, \(rows.filter { ($0["status"] as? String) == "ok" }.count) finished")
    return 0
}
