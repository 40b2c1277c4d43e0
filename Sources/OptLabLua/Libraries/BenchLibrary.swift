import Foundation
import OptLabCharts
import OptLabRuntime

/// The `bench` module's Swift half: its page's charts and the page's file.
/// The benchmark itself is Lua (bench/run.lua), since the rules and the
/// problems' models are Lua values.
enum BenchLibrary {
    static let summary = "standard test problems and the benchmark that judges an optimizer against tuned baselines"

    /// A number list of a series, with holes (false, nil, nan) kept as nan so a line breaks there.
    static func numbers(_ v: LuaValue?, _ a: LuaArgs, _ what: String) throws -> [Double] {
        guard let v, !v.isNil else { return [] }
        guard case .array(let items) = v else { throw a.argumentError(1, "\(what) must be a list of numbers, got \(v.typeName)") }
        return items.map { $0.number ?? .nan }
    }

    static let primitives: [LuaFunction] = [
        // {title, xlabel, ylabel, logx, logy, width, height, series = {{name, x, y, lo, hi, markers, dashed, line}}} → SVG
        .primitive("chart", as: "bench.run") { a in
            guard case .record(let spec) = try a.state.read(1, depth: 0, asRecord: true) else { throw a.typeError(1, expected: "chart table") }
            let d = Dictionary(spec, uniquingKeysWith: { x, _ in x })
            var chart = Chart(title: d["title"]?.string ?? "", xLabel: d["xlabel"]?.string ?? "", yLabel: d["ylabel"]?.string ?? "")
            if case .bool(true)? = d["logx"] { chart.logX = true }
            if case .bool(true)? = d["logy"] { chart.logY = true }
            chart.width = d["width"]?.number ?? chart.width
            chart.height = d["height"]?.number ?? chart.height
            if case .array(let r)? = d["yrange"], r.count == 2, let lo = r[0].number, let hi = r[1].number { chart.yRange = (lo, hi) }
            guard case .array(let list)? = d["series"] else { throw a.argumentError(1, "a chart needs series") }
            for (i, item) in list.enumerated() {
                guard case .record(let f) = item else { throw a.argumentError(1, "series \(i + 1) must be a table") }
                let s = Dictionary(f, uniquingKeysWith: { x, _ in x })
                let xs = try numbers(s["x"], a, "x"), ys = try numbers(s["y"], a, "y")
                guard xs.count == ys.count else { throw a.argumentError(1, "series \(i + 1): \(xs.count) x values and \(ys.count) y values") }
                var series = Chart.Series(s["name"]?.string ?? "", Array(zip(xs, ys)).map { (x: $0, y: $1) },
                                          color: s["color"]?.string ?? Chart.palette[i % Chart.palette.count])
                let lo = try numbers(s["lo"], a, "lo"), hi = try numbers(s["hi"], a, "hi")
                if lo.count == xs.count && hi.count == xs.count { series.envelope = xs.indices.map { (x: xs[$0], lo: lo[$0], hi: hi[$0]) } }
                if case .bool(true)? = s["markers"] { series.markers = true }
                if case .bool(true)? = s["dashed"] { series.dashed = true }
                if case .bool(false)? = s["line"] { series.line = false }
                if case .array(let tips)? = s["tips"] { series.tips = tips.map { $0.string ?? "" } }
                chart.series.append(series)
            }
            return [.string(chart.svg)]
        },
        // (path, text): the whole file or nothing (a failed write leaves the old one)
        .primitive("write_text", as: "bench.run") { a in
            try AtomicFile.write(Array(try a.string(2).utf8), to: try a.string(1), op: "bench.run")
            return []
        },
        // (path): true when this process created the claim file (exclusively), false when another has it
        .primitive("claim", as: "bench.run") { a in [.bool(try Claim.take(try a.string(1)))] },
        // (path): "absent", "mine", "alive" (its process runs, or it is another machine's) or "dead"
        .primitive("claim_state", as: "bench.run") { a in [.string(Claim.state(try a.string(1)).rawValue)] },
        .primitive("claim_holder", as: "bench.run") { a in [Claim.holder(try a.string(1)).map { .string($0) } ?? .nil] },
        .primitive("sleep", as: "bench.run") { a in
            let s = try a.number(1)
            if s > 0 && s < 60 { usleep(UInt32(s * 1e6)) }
            return []
        },
        // (dir, {{tag, {value per epoch (false: none)}}}): one TensorBoard event file, step = epoch
        .primitive("tensorboard", as: "train.repeated") { a in
            guard case .array(let list) = try a.value(2) else { throw a.typeError(2, expected: "list of series") }
            let writer = try TensorBoardWriter(directory: try a.string(1))
            var byStep: [Int: [(tag: String, value: Double)]] = [:]
            for item in list {
                guard case .array(let pair) = item, pair.count == 2, let tag = pair[0].string, case .array(let values) = pair[1] else {
                    throw a.argumentError(2, "each series must be {tag, {values}}")
                }
                for (e, v) in values.enumerated() { if let x = v.number, x.isFinite { byStep[e + 1, default: []].append((tag, x)) } }
            }
            for step in byStep.keys.sorted() { try writer.scalars(byStep[step]!, step: step) }
            return []
        },
        // (path): remove a file if it is there
        .primitive("remove", as: "bench.run") { a in
            let path = try a.string(1)
            if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
            return []
        },
    ]
}

/// A run claimed by the process that makes it, so several processes can
/// share one benchmark folder (`optlab bench-optimizer --workers N`, or a
/// Slurm array of `--claim` tasks): the claim file is created exclusively and
/// holds "host pid". A claim of this machine whose process is gone is dead
/// and may be taken over; another machine's is trusted.
enum Claim {
    enum State: String { case absent, mine, alive, dead }

    static var host: String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(cString: name)
    }

    static func take(_ path: String) throws -> Bool {
        try RunFolder.makeDirectories((path as NSString).deletingLastPathComponent, op: "bench.run")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { return false }
            throw RuntimeError(.io, "bench.run", "cannot claim \(path): \(String(cString: strerror(errno)))")
        }
        let text = Array("\(host) \(getpid())\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return true
    }

    static func holder(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func state(_ path: String) -> State {
        guard let h = holder(path) else { return .absent }
        let parts = h.split(separator: " ")
        // a claim being written (empty for an instant) belongs to a live process
        guard parts.count == 2, let pid = Int32(parts[1]) else { return .alive }
        guard String(parts[0]) == host else { return .alive }
        if pid == getpid() { return .mine }
        return kill(pid, 0) == 0 || errno == EPERM ? .alive : .dead
    }
}
