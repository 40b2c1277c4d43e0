import Foundation
import Glibc
import OptLabReport

/// `optlab report runs/<name> [--watch] [--color PARAM]`: writes
/// runs/<name>/report.html; several folders, or a search's: their
/// comparison (`--out`, default comparison.html beside the first). With
/// `--watch` the page is rewritten whenever a file of the run changes, until
/// nothing writes the run any more.
enum ReportCommand {
    static let usage = "usage: optlab report runs/<name> [runs/<other> ...] [--watch] [--color PARAM] [--out FILE]"

    struct Options {
        var dirs: [String] = [], watch = false, color: String?, out: String?
    }

    static func run(_ args: [String]) -> Int32 {
        if args.first == "--help" || args.first == "-h" {
            print(usage + "\n  --watch      rewrite the page whenever the run writes, until it ends\n"
                  + "  --color P    colour a comparison's curves by hyperparameter P\n  --out FILE   where a comparison goes (comparison.html beside the first)")
            return 0
        }
        guard let o = parse(args) else { return 1 }
        do {
            print(try write(o))
            fflush(stdout)
            guard o.watch else { return 0 }
            try watch(o)
            print("optlab report: the run is no longer being written; the page is final")
            return 0
        } catch {
            printError("\(error)")
            return 1
        }
    }

    static func parse(_ args: [String]) -> Options? {
        var o = Options()
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--watch": o.watch = true
            case "--color", "--out":
                guard i + 1 < args.count else { fputs(usage + "\n", stderr); return nil }
                if args[i] == "--color" { o.color = args[i + 1] } else { o.out = args[i + 1] }
                i += 1
            case let a where a.hasPrefix("-"):
                fputs("optlab report: unknown option '\(a)'\n" + usage + "\n", stderr)
                return nil
            default: o.dirs.append(args[i].hasSuffix("/") && args[i].count > 1 ? String(args[i].dropLast()) : args[i])
            }
            i += 1
        }
        guard !o.dirs.isEmpty else {
            fputs(usage + "\n", stderr)
            return nil
        }
        return o
    }

    /// Writes the page once; returns its path.
    static func write(_ o: Options) throws -> String {
        if o.dirs.count == 1 { return try Report.write(runDirectory: o.dirs[0], colorBy: o.color) }
        let parent = (o.dirs[0] as NSString).deletingLastPathComponent
        return try Report.write(comparing: o.dirs, output: o.out ?? (parent.isEmpty ? "comparison.html" : parent + "/comparison.html"), colorBy: o.color)
    }

    /// Rewrites the page whenever a file of the runs changes, while any of them is live.
    static func watch(_ o: Options) throws {
        var last = signature(o.dirs)
        while o.dirs.contains(where: { Report.isLive($0) }) {
            usleep(1_000_000)
            let now = signature(o.dirs)
            if now != last {
                last = now
                _ = try write(o)
            }
        }
        _ = try write(o)
    }

    /// Names, sizes and modification times of the files under the folders (two levels: a search's trials).
    static func signature(_ dirs: [String]) -> [String] {
        var out: [String] = []
        func visit(_ dir: String, depth: Int) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
            for n in names.sorted() where n != "report.html" && !n.hasPrefix(".") {
                let path = dir + "/" + n
                var st = stat()
                guard stat(path, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    if depth < 1 { visit(path, depth: depth + 1) }
                } else {
                    out.append("\(path):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)")
                }
            }
        }
        for d in dirs { visit(d, depth: 0) }
        return out
    }
}
