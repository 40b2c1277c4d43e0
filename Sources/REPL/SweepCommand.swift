import Foundation
import OptLabLua

/// `optlab sweep --summary runs/<name>`: the finished trials of a search,
/// best first. (Only when no file named `sweep` exists.)
func sweepCommand() -> Int32? {
    let argv = CommandLine.arguments
    if argv.count == 3, argv[1] == "--sweep-worker" {
        return runSweepScript(argv[2], mode: "worker", workers: 1)
    }
    guard argv.count >= 2, argv[1] == "sweep", !FileManager.default.fileExists(atPath: "sweep") else { return nil }
    if argv.count >= 3, argv[2] != "--summary" {
        // optlab sweep script.lua --workers N [--resume]  (running it again resumes; --resume says so)
        var workers = 2
        var i = 3
        while i < argv.count {
            switch argv[i] {
            case "--workers" where i + 1 < argv.count:
                guard let n = Int(argv[i + 1]), n >= 1, n <= 64 else {
                    fputs("optlab sweep: --workers needs a number from 1 to 64\n", stderr)
                    return 1
                }
                workers = n
                i += 2
            case "--resume":
                i += 1
            case "--backend":
                fputs("optlab sweep: the Slurm backend is not built yet; use --workers N on this machine\n", stderr)
                return 1
            default:
                fputs("optlab sweep: unknown option '\(argv[i])'\n", stderr)
                return 1
            }
        }
        return runSweepScript(argv[2], mode: "master", workers: workers)
    }
    guard argv.count == 4, argv[2] == "--summary" else {
        fputs("usage: optlab sweep script.lua [--workers N] [--resume]\n       optlab sweep --summary runs/<name>\n", stderr)
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

/// Runs a sweep script as the master or as one worker.
func runSweepScript(_ path: String, mode: String, workers: Int) -> Int32 {
    do {
        let vm = try LuaVM()
        try vm.setGlobal("__optlab_sweep", .record([("mode", .string(mode)), ("workers", .integer(workers)), ("script", .string(path))]))
        try vm.run(file: path)
        return 0
    } catch {
        fputs("optlab: \(error)\n", stderr)
        return 1
    }
}
