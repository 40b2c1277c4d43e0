import Foundation

/// The run folder of a search, the only state a search has: everything that
/// reads or writes one (hp.search's Lua, its workers, `optlab sweep
/// --summary`, the report) goes through this type.
///
/// ```
/// runs/<name>/space.json            the space searched
/// runs/<name>/summary.jsonl         one record per finished trial, appended
/// runs/<name>/master.lock           the master's pid
/// runs/<name>/s<stage>-t<trial>/    trial.json (its sampled config), progress.jsonl, result.json,
///                                   rung<k>.json (successive halving), and train.fit's run folder
/// runs/<name>/asha.jsonl            successive halving's jobs, in the order they were handed out
/// runs/<name>/queue/<t>.json        trials handed out; running/<t>.<owner>.json once claimed
/// runs/<name>/workers/, slurm/      workers' logs; Slurm scripts and submissions
/// ```
public struct SearchFolder: Sendable {
    public let root: String

    public init(_ root: String) { self.root = root }

    public var summaryPath: String { root + "/summary.jsonl" }
    public var lockPath: String { root + "/master.lock" }
    public var queue: String { root + "/queue" }
    public var running: String { root + "/running" }

    /// `runs/<name>/s1-t003`.
    public func trialDirectory(stage: Int, trial: Int) -> String { String(format: "%@/s%d-t%03d", root, stage, trial) }

    /// Whether `dir` holds a search (its summary exists).
    public static func isSearch(_ dir: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/summary.jsonl") }

    // MARK: the summary

    /// Every finished trial, each once as last written (a Slurm task taken for
    /// lost can finish and record its trial a second time), in order.
    public func trials(op: String) throws -> [[String: Any]] {
        let text = String(decoding: try AtomicFile.read(summaryPath, op: op), as: UTF8.self)
        let all = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        var latest: [Int: Int] = [:]
        for (i, r) in all.enumerated() { if let t = (r["trial"] as? NSNumber)?.intValue { latest[t] = i } }
        return all.enumerated().filter { i, r in (r["trial"] as? NSNumber).map { latest[$0.intValue] == i } ?? true }.map(\.element)
    }

    /// Appends one JSON line to `path` and syncs it: a line is written whole
    /// with one write, so concurrent workers never interleave inside a line.
    public static func appendLine(_ json: [UInt8], to path: String, op: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RuntimeError(.io, op, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let line = json + [0x0a]
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw RuntimeError(.io, op, "cannot append to \(path)") }
    }

    // MARK: the master's lock

    /// Takes the lock for this process. A second live master is refused; a
    /// lock left by a dead one is taken over.
    public func lock() throws {
        if let pid = lockHolder(), pid != getpid(), kill(pid, 0) == 0 {
            throw RuntimeError(.argument, "hp.search", "another master (pid \(pid)) is running this sweep (\(lockPath))")
        }
        try AtomicFile.write(Array("\(getpid())\n".utf8), to: lockPath, op: "hp.search")
    }

    /// The pid in the lock, or nil when there is none.
    public func lockHolder() -> Int32? {
        guard let d = FileManager.default.contents(atPath: lockPath) else { return nil }
        return Int32(String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    public func unlock() { unlink(lockPath) }

    // MARK: claims

    /// Claims queued trial `trial` for `owner` by renaming its file into
    /// running/: rename is atomic, so exactly one claimant wins.
    public func claim(trial: Int, owner: String) -> Bool {
        rename("\(queue)/\(trial).json", "\(running)/\(trial).\(owner).json") == 0
    }

    /// The trials held now: trial → the owner named in its running/ file.
    public func holders() -> [Int: String] {
        var held: [Int: String] = [:]
        for f in (try? FileManager.default.contentsOfDirectory(atPath: running)) ?? [] where f.hasSuffix(".json") {
            let parts = f.dropLast(5).split(separator: ".", maxSplits: 1)
            if parts.count == 2, let t = Int(parts[0]) { held[t] = String(parts[1]) }
        }
        return held
    }

    // MARK: checkpoints

    /// The best of a trial folder's scored checkpoints, by the score in its name.
    public static func bestCheckpoint(in dir: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let scored = names.compactMap { n in CheckpointName.score(of: n).map { (n, $0) } }
        return scored.max { a, b in a.1 < b.1 || (a.1 == b.1 && a.0 > b.0) }.map { dir + "/" + $0.0 }
    }

    /// The best checkpoints of the `k` best finished trials (the ensemble of
    /// the notes). Under successive halving a trial that reached a higher rung
    /// ranks first, as hp.search ranks them: scores of different budgets are
    /// not compared.
    public func topCheckpoints(_ k: Int) throws -> [String] {
        func score(_ r: [String: Any]) -> (Double, Double) {
            ((r["rung"] as? NSNumber)?.doubleValue ?? 0, (r["score"] as? NSNumber)?.doubleValue ?? -.infinity)
        }
        guard SearchFolder.isSearch(root) else {
            throw RuntimeError(.argument, "nn.Ensemble.top", "\(root) is not a search folder (it has no summary.jsonl)")
        }
        var paths: [String] = []
        for r in try trials(op: "nn.Ensemble.top").sorted(by: { score($0) > score($1) }) where paths.count < k {
            guard r["status"] as? String == "ok", let dir = r["dir"] as? String, let best = SearchFolder.bestCheckpoint(in: dir) else { continue }
            paths.append(best)
        }
        return paths
    }
}

/// How a run names its checkpoints: the epoch and the score, so a folder
/// listing sorts and reads as a table (`ep005_val0.8812.safetensors`).
public enum CheckpointName {
    public static func make(epoch: Int, score: Double) -> String { String(format: "ep%03d_val%.4f.safetensors", epoch, score) }

    /// The score in a checkpoint's name, or nil for any other file.
    public static func score(of name: String) -> Double? {
        guard name.hasPrefix("ep"), name.hasSuffix(".safetensors"), let range = name.range(of: "_val") else { return nil }
        guard Int(name[name.index(name.startIndex, offsetBy: 2)..<range.lowerBound]) != nil else { return nil }
        return Double(name[range.upperBound..<name.index(name.endIndex, offsetBy: -12)])
    }
}
