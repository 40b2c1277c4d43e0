import Foundation

/// The run folder of a search, the only state a search has: everything that
/// reads or writes one (hp.search's Lua, its workers, `optlab sweep
/// --summary`, the report) goes through this type.
///
/// ```
/// runs/<name>/space.json            the space searched
/// runs/<name>/summary.jsonl         one record per finished trial, appended
/// runs/<name>/master.lock           the master's pid, flock'ed while it lives
/// runs/<name>/s<stage>-t<trial>/    trial.json (its sampled config), progress.jsonl, result.json,
///                                   rung<k>.json (successive halving), and train.fit's run folder
/// runs/<name>/asha.jsonl            successive halving's jobs, in the order they were handed out
/// runs/<name>/queue/<t>.json        trials handed out; running/<t>.<owner>.json once claimed
/// runs/<name>/workers/, slurm/      workers' logs; Slurm scripts and submissions
/// ```
public struct SearchFolder: Sendable {
    public let root: String

    public init(_ root: String) { self.root = root }

    /// `<parent>/<name>`, the folder of the search named `name`.
    public init(parent: String, name: String) { root = parent + "/" + name }

    public var spacePath: String { root + "/space.json" }
    public var summaryPath: String { root + "/summary.jsonl" }
    public var lockPath: String { root + "/master.lock" }
    public var ashaLogPath: String { root + "/asha.jsonl" }
    public var queue: String { root + "/queue" }
    public var running: String { root + "/running" }
    public var workers: String { root + "/workers" }
    public var slurm: String { root + "/slurm" }
    public var slurmJobsPath: String { slurm + "/jobs.jsonl" }

    /// `runs/<name>/s1-t003`.
    public func trialDirectory(stage: Int, trial: Int) -> String { String(format: "%@/s%d-t%03d", root, stage, trial) }

    /// A worker's stdout and stderr.
    public func workerLog(owner: String) -> String { "\(workers)/\(owner).log" }
    public func slurmScript(stage: Int) -> String { "\(slurm)/stage\(stage).sh" }
    /// A Slurm array task's output (`job`, `task`: "%A", "%a" in the script), absolute
    /// from `cwd` when the search's folder is relative (Slurm starts tasks elsewhere).
    public func slurmOutput(job: String, task: String, cwd: String? = nil) -> String {
        let dir = slurm.hasPrefix("/") || cwd == nil ? slurm : cwd! + "/" + slurm
        return "\(dir)/\(job)_\(task).out"
    }

    /// The files hp.search keeps in a trial's folder, beside the trial's own run.
    public enum TrialFile: String, CaseIterable, Sendable {
        /// Its sampled config, written before it runs.
        case trial = "trial.json"
        /// Its latest result.
        case result = "result.json"
        /// What it reported as it trained (the pruner reads the others').
        case progress = "progress.jsonl"
    }

    public static func path(of file: TrialFile, in trialDirectory: String) -> String { trialDirectory + "/" + file.rawValue }

    /// Successive halving's result at rung k.
    public static func rungPath(_ k: Int, in trialDirectory: String) -> String { "\(trialDirectory)/rung\(k).json" }

    /// The folder of `trial` (any stage) when it holds a result, or nil.
    public func finishedTrialDirectory(_ trial: Int) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for n in names.sorted() {
            let parts = n.split(separator: "-")
            guard parts.count == 2, parts[0].hasPrefix("s"), Int(parts[0].dropFirst()) != nil, parts[1].hasPrefix("t"),
                  Int(parts[1].dropFirst()) == trial else { continue }
            let dir = root + "/" + n
            if FileManager.default.fileExists(atPath: SearchFolder.path(of: .result, in: dir)) { return dir }
        }
        return nil
    }

    /// Whether `dir` holds a search (its summary exists).
    public static func isSearch(_ dir: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/summary.jsonl") }

    // MARK: the summary

    /// Every finished trial, each once as last written (a Slurm task taken for
    /// lost can finish and record its trial a second time), in order.
    public func trials(op: String) throws -> [[String: Any]] {
        let text = String(decoding: try AtomicFile.read(summaryPath, op: op), as: UTF8.self)
        let all = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        var latest: [Int: Int] = [:]
        func trial(_ r: [String: Any]) -> Int? { (r["trial"] as? NSNumber).flatMap { Int(checked: $0.doubleValue) } }
        for (i, r) in all.enumerated() { if let t = trial(r) { latest[t] = i } }
        return all.enumerated().filter { i, r in trial(r).map { latest[$0] == i } ?? true }.map(\.element)
    }

    /// Appends one JSON line to `path`, synced (`AppendLog`): a line is
    /// written whole with one write, so concurrent workers never interleave
    /// inside a line, and a worker's result outlives a crash before the master reads it.
    public static func appendLine(_ json: [UInt8], to path: String, op: String) throws {
        try AppendLog.append(json + [0x0a], to: path, durability: .synced, op: op)
    }

    // MARK: the master's lock

    /// Takes the lock for this process (`ProcessLock`: atomic, and let go by
    /// the kernel when the process dies). A second live master is refused.
    public func lock() throws {
        if let pid = try ProcessLock.acquire(lockPath, op: "hp.search") {
            let who = pid > 0 ? "another master (pid \(pid))" : "another master"
            throw RuntimeError(.argument, "hp.search", "\(who) is running this sweep (\(lockPath))")
        }
    }

    /// The pid of the live master holding the lock, or nil when there is none.
    public func lockHolder() -> Int32? { ProcessLock.holder(lockPath) }

    public func unlock() { ProcessLock.release(lockPath) }

    // MARK: the queue and its claims

    /// queue/<t>.json: a trial handed out, waiting for a worker.
    public func queuedPath(_ trial: Int) -> String { "\(queue)/\(trial).json" }
    /// running/<t>.<owner>.json: a trial a worker (a pid, or a Slurm task) holds.
    public func claimedPath(_ trial: Int, owner: String) -> String { "\(running)/\(trial).\(owner).json" }

    /// Hands a trial out: writes its job to queue/ unless it is queued already.
    public func enqueue(_ trial: Int, job: [UInt8]) throws {
        try RunFolder.makeDirectories(queue, op: "hp.search")
        try RunFolder.makeDirectories(running, op: "hp.search")
        guard !FileManager.default.fileExists(atPath: queuedPath(trial)) else { return }
        try AtomicFile.write(job, to: queuedPath(trial), op: "hp.search")
    }

    /// The trials waiting in queue/, in order.
    public func queued() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: queue)) ?? []
        return names.compactMap { $0.hasSuffix(".json") ? Int($0.dropLast(5)) : nil }.sorted()
    }

    /// Claims queued trial `trial` for `owner` by renaming its file into
    /// running/: rename is atomic, so exactly one claimant wins.
    public func claim(trial: Int, owner: String) -> Bool {
        rename(queuedPath(trial), claimedPath(trial, owner: owner)) == 0
    }

    /// Takes `trial` over from whoever holds it (a requeued Slurm task's earlier self).
    public func takeOver(trial: Int, owner: String) -> Bool {
        guard let (held, _) = claims().first(where: { $0.trial == trial }).map({ ($0.path, $0.owner) }) else { return false }
        return rename(held, claimedPath(trial, owner: owner)) == 0
    }

    /// Every claim in running/: its trial, its owner and its file.
    public func claims() -> [(trial: Int, owner: String, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: running)) ?? []
        return names.sorted().compactMap { f in
            guard f.hasSuffix(".json") else { return nil }
            let parts = f.dropLast(5).split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let t = Int(parts[0]) else { return nil }
            return (t, String(parts[1]), running + "/" + f)
        }
    }

    /// The trials held now: trial → the owner named in its running/ file.
    public func holders() -> [Int: String] {
        Dictionary(claims().map { ($0.trial, $0.owner) }, uniquingKeysWith: { a, _ in a })
    }

    /// Drops every claim on `trial`.
    public func dropClaims(_ trial: Int) {
        for c in claims() where c.trial == trial { unlink(c.path) }
    }

    // MARK: checkpoints

    /// A run folder's scored checkpoints: path, epoch and score, by their names.
    public static func checkpoints(in dir: String) -> [(path: String, epoch: Int, score: Double)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.sorted().compactMap { n in
            guard let score = CheckpointName.score(of: n), let epoch = CheckpointName.epoch(of: n) else { return nil }
            return (dir + "/" + n, epoch, score)
        }
    }

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

/// How a run names its checkpoints: the epoch and the score that kept them,
/// so a folder listing sorts and reads as a table: `ep005_val0.8812`
/// (validation accuracy), `ep005_valloss0.3127` (validation loss, a
/// regression run), and for a run without a validation set `ep005_train0.9120`
/// or `ep005_trainloss0.2950` — a training metric is never named as a validation one.
public enum CheckpointName {
    public enum Metric: String, CaseIterable, Sendable {
        case validationAccuracy = "val", validationLoss = "valloss", trainAccuracy = "train", trainLoss = "trainloss"
        public var higherIsBetter: Bool { self == .validationAccuracy || self == .trainAccuracy }
        /// As metadata and messages name it.
        public var key: String {
            switch self {
            case .validationAccuracy: return "val_acc"
            case .validationLoss: return "val_loss"
            case .trainAccuracy: return "train_acc"
            case .trainLoss: return "train_loss"
            }
        }
    }

    public static func make(epoch: Int, metric: Metric, value: Double) -> String {
        String(format: "ep%03d_%@%.4f.safetensors", epoch, metric.rawValue, value)
    }

    /// A validation-accuracy checkpoint's name.
    public static func make(epoch: Int, score: Double) -> String { make(epoch: epoch, metric: .validationAccuracy, value: score) }

    /// The epoch, metric and value in a checkpoint's name, or nil for any other file.
    public static func parse(_ name: String) -> (epoch: Int, metric: Metric, value: Double)? {
        guard name.hasPrefix("ep"), name.hasSuffix(".safetensors"), let underscore = name.firstIndex(of: "_"),
              let epoch = Int(name[name.index(name.startIndex, offsetBy: 2)..<underscore]) else { return nil }
        let rest = name[name.index(after: underscore)..<name.index(name.endIndex, offsetBy: -12)]
        // the longest metric word first ("valloss" before "val")
        for m in Metric.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }) where rest.hasPrefix(m.rawValue) {
            guard let v = Double(rest.dropFirst(m.rawValue.count)), v.isFinite else { return nil }
            return (epoch, m, v)
        }
        return nil
    }

    /// A checkpoint's score to rank by, higher is better (a loss counts
    /// negated), or nil for any other file.
    public static func score(of name: String) -> Double? {
        parse(name).map { $0.metric.higherIsBetter ? $0.value : -$0.value }
    }

    /// The epoch in a checkpoint's name, or nil for any other file.
    public static func epoch(of name: String) -> Int? { parse(name)?.epoch }
}
