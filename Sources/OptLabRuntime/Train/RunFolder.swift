import Foundation
import Glibc

/// `runs/<name>/`: config.json (written atomically), metrics.jsonl (one JSON
/// object per logged step, appended by `AppendLog`), and
/// checkpoints named with their score (`ep005_val0.8812.safetensors`), so
/// `ls` sorts progress.
public struct RunFolder {
    public let path: String

    public init(_ path: String) throws {
        self.path = path
        try RunFolder.makeDirectories(path)
    }

    /// A folder `train.fit` may log into: new, empty, or holding only what
    /// runs and search trials write. Anything else (`log = "/"`, a home
    /// folder) is refused, naming what is there, unless `overwrite`.
    /// A previous run there is continued with `resume`; without it, a new
    /// run would append to the old one's logs (and a report would show both
    /// as one), so it is refused unless `overwrite`, which removes that
    /// run's own files first (never anything else).
    ///
    /// A symbolic link among the run's files is refused (resume would read and
    /// write through it, outside the folder) unless `overwrite` removes it
    /// with the run's other files.
    public static func checkLogFolder(_ path: String, overwrite: Bool, resume: Bool = false) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        if !overwrite || resume, let link = names.sorted().first(where: { (isRunFile($0) || isSearchRecord($0) || isMeasurement($0)) && isLink(path + "/" + $0) }) {
            throw linkError("train.fit", path + "/" + link)
        }
        let foreign = names.filter { !isRunFile($0) && !isSearchRecord($0) && !isMeasurement($0) }.sorted()
        guard foreign.isEmpty || overwrite else {
            let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? ", … (\(foreign.count) in all)" : "")
            throw RuntimeError(.io, "train.fit", "log folder \(path) holds files that are not an optlab run's (\(shown)); "
                               + "log into a new folder, or pass overwrite = true")
        }
        guard !resume, names.contains("metrics.jsonl") else { return }
        guard overwrite else {
            throw RuntimeError(.io, "train.fit", "log folder \(path) holds a previous run; resume = true continues it, "
                               + "overwrite = true replaces it, or log into a new folder")
        }
        for name in names where isRunFile(name) && name != "report.html" {
            guard unlink(path + "/" + name) == 0 || errno == ENOENT else {
                throw AtomicFile.ioError("train.fit", "cannot remove the previous run's \(path)/\(name)")
            }
        }
    }

    static func isLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
    }

    /// A link found where optlab keeps its own files.
    static func linkError(_ op: String, _ path: String) -> RuntimeError {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
        return RuntimeError(.io, op, "\(path) is a symbolic link (to \(target)); optlab does not follow links in run and search folders: "
                            + "remove it, or log into a new folder")
    }

    /// Refuses a symbolic link among a search folder's own entries: its
    /// files, and the files in its trial, queue and claim folders.
    public static func refuseLinks(inSearch root: String, op: String) throws {
        let fm = FileManager.default
        for name in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            let p = root + "/" + name
            if isLink(p) { throw linkError(op, p) }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue else { continue }
            for inner in ((try? fm.contentsOfDirectory(atPath: p)) ?? []).sorted() where isLink(p + "/" + inner) {
                throw linkError(op, p + "/" + inner)
            }
        }
    }

    /// What a run or a search trial writes into its folder.
    static func isRunFile(_ name: String) -> Bool {
        let exact: Set<String> = ["config.json", "metrics.jsonl", "histograms.jsonl", "resume.safetensors", "progress.jsonl", "result.json", "status.json", "report.html"]
        if exact.contains(name) || name.hasPrefix("events.out.tfevents.") || CheckpointName.score(of: name) != nil { return true }
        // the temporary files of atomic writes
        return name.hasPrefix(".") && name.contains(".tmp-")
    }

    /// What hp.search keeps in a trial's folder beside the trial's run: its
    /// sampled config and its results at each rung. A trial's train.fit logs
    /// there and leaves them alone, also with overwrite.
    static func isSearchRecord(_ name: String) -> Bool {
        name == "trial.json" || (name.hasPrefix("rung") && name.hasSuffix(".json") && Int(name.dropFirst(4).dropLast(5)) != nil)
    }

    /// mkdir -p; an error names the folder that could not be made, and why, under `op`.
    public static func makeDirectories(_ path: String, op: String = "run folder") throws {
        try PathName.checkPath(path, op: op, what: "the folder's path")
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw AtomicFile.ioError(op, "cannot create \(current)")
            }
        }
    }

    public func writeConfig(_ config: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
        try AtomicFile.write(Array(data) + [0x0a], to: path + "/config.json", op: "run folder")
    }

    /// status.json, replaced whole each time (atomically).
    public func writeStatus(_ status: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: status, options: [.sortedKeys, .prettyPrinted])
        try AtomicFile.write(Array(data) + [0x0a], to: path + "/status.json", op: "run folder")
    }

    /// How the run ended. On a full disk the atomic write has no room for its
    /// temporary file, and a status left "running" with a dead pid would lie:
    /// then status.json is rewritten in place, into the blocks it frees.
    public func writeFinalStatus(_ status: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys, .prettyPrinted]) else { return }
        let bytes = Array(data) + [0x0a]
        if (try? AtomicFile.write(bytes, to: path + "/status.json", op: "run folder")) != nil { return }
        let fd = open(path + "/status.json", O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
    }

    /// metrics.jsonl, appended (`AppendLog`, written every step: `.written`).
    public func metricsLog() throws -> AppendLog { try AppendLog(path + "/metrics.jsonl", durability: .written, op: "run folder") }

    /// histograms.jsonl, appended likewise.
    public func histogramsLog() throws -> AppendLog { try AppendLog(path + "/histograms.jsonl", durability: .written, op: "run folder") }

    /// One metrics record: non-finite values as strings ("nan"), which JSON lacks.
    public static func metricsRecord(_ record: [String: Double]) -> [String: Any] {
        record.mapValues { $0.isFinite ? $0 as Any : String(describing: $0) as Any }
    }

    /// The same as one line of JSON, written directly (keys sorted, numbers
    /// as Swift prints them, which read back exactly): a step record with the
    /// probes has a hundred keys, and JSONSerialization's sorting of them by
    /// locale-aware comparison cost more than computing them.
    public static func metricsLine(_ record: [String: Double]) -> [UInt8] {
        // byte order, as the keys' UTF-8 compares (String's < agrees for ASCII, and takes its memcmp path there)
        let ascii = record.keys.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        let entries = ascii ? record.sorted { $0.key < $1.key } : record.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(48 * entries.count + 4)
        for (k, (key, v)) in entries.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            if v.isFinite {
                out += (v == v.rounded() && Swift.abs(v) < 1e15 ? String(Int(v)) : "\(v)").utf8
            } else {
                appendJSONString("\(v)", to: &out)
            }
        }
        out += [UInt8(ascii: "}"), 0x0a]
        return out
    }

    /// `jsonString`'s bytes, copied as they are when nothing needs escaping (a metric's name).
    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(UInt8(ascii: "\""))
            out += s.utf8
            out.append(UInt8(ascii: "\""))
        } else {
            out += jsonString(s).utf8
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// One layer's histogram at one epoch, for the report: of its outputs
    /// (`kind` "activation", the default, written without the field) or of their gradients.
    public static func histogramRecord(epoch: Int, layer: String, _ h: Histogram, kind: String = "activation") -> [String: Any] {
        var record: [String: Any] = ["epoch": epoch, "layer": layer, "edges": h.edges, "counts": h.counts]
        if kind != "activation" { record["kind"] = kind }
        return record
    }

    @available(*, deprecated, message: "append through metricsLog() (an AppendLog), which keeps the file open")
    public func log(_ record: [String: Double]) throws { try metricsLog().appendJSONLine(RunFolder.metricsRecord(record)) }

    @available(*, deprecated, message: "append RunFolder.histogramRecord(...) through histogramsLog() (an AppendLog)")
    public func logHistogram(epoch: Int, layer: String, _ h: Histogram, kind: String = "activation") throws {
        try histogramsLog().appendJSONLine(RunFolder.histogramRecord(epoch: epoch, layer: layer, h, kind: kind))
    }

    public static func checkpointName(epoch: Int, score: Double) -> String {
        CheckpointName.make(epoch: epoch, score: score)
    }

    /// Epoch `epoch`'s checkpoint, named by the score that ranks it. It
    /// replaces one an earlier, partial pass of the same epoch left (a
    /// search's fractional budget, since resumed). With `keep`, only the best
    /// `keep` checkpoints (by their scores; the later of a tie) and this last
    /// one stay: a long run's folder stays small.
    public func checkpoint(_ model: Module, epoch: Int, metric: CheckpointName.Metric = .validationAccuracy, value: Double,
                           keep: Int? = nil) throws {
        let name = CheckpointName.make(epoch: epoch, metric: metric, value: value)
        try model.save(to: path + "/" + name, metadata: ["epoch": String(epoch), metric.key: String(value)])
        let others = SearchFolder.checkpoints(in: path).filter { !$0.path.hasSuffix("/" + name) }
        for c in others where c.epoch == epoch { unlink(c.path) }
        guard let keep else { return }
        typealias Scored = (path: String, epoch: Int, score: Double)
        func better(_ a: Scored, _ b: Scored) -> Bool { a.score > b.score || (a.score == b.score && a.epoch > b.epoch) }
        let earlier: [Scored] = others.filter { $0.epoch != epoch }
        let this: Scored = (path + "/" + name, epoch, CheckpointName.score(of: name) ?? -Double.infinity)
        // the best `keep` among all, this one included; this one stays anyway as the last
        let kept = Set((earlier + [this]).sorted(by: better).prefix(keep).map(\.path))
        for c in earlier where !kept.contains(c.path) { unlink(c.path) }
    }

    /// The same for a validation accuracy (optlab 0.1's form).
    public func checkpoint(_ model: Module, epoch: Int, score: Double) throws {
        try checkpoint(model, epoch: epoch, metric: .validationAccuracy, value: score)
    }
}
