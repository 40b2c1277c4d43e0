import CLua
import Foundation
import OptLabRuntime

/// The `hp` module's Swift half: distributions, sampling, narrowing, border
/// warnings and atomic JSON files. The search loop itself is Lua (`SearchLua`),
/// since the trial is a Lua function.
enum HPLibrary {
    static let summary = "hyperparameter search: log-uniform sampling, coarse to fine, border warnings"

    static func spec(_ kind: String, _ fields: [(String, LuaValue)]) -> [LuaValue] {
        [.record([("kind", .string(kind))] + fields)]
    }

    /// A space table {name = hp.spec} as a SearchSpace (choices keep their index).
    static func space(_ a: LuaArgs, _ i: Int) throws -> SearchSpace {
        guard case .record(let pairs) = try a.state.read(Int32(i), depth: 0, asRecord: true) else { throw a.typeError(i, expected: "space table") }
        return SearchSpace(try pairs.map { name, v in
            guard case .record(let f) = v else { throw a.argumentError(i, "'\(name)' is not an hp distribution (use hp.loguniform, hp.uniform, hp.int, hp.choice)") }
            let d = Dictionary(f, uniquingKeysWith: { x, _ in x })
            func num(_ k: String) throws -> Double {
                guard let n = d[k]?.number else { throw a.argumentError(i, "'\(name)' lacks '\(k)'") }
                return n
            }
            switch d["kind"]?.string {
            case "loguniform": return (name, try Distribution(checking: .logUniform(try num("lo"), try num("hi"))))
            case "uniform": return (name, try Distribution(checking: .uniform(try num("lo"), try num("hi"))))
            case "int":
                guard let lo = Int(checked: try num("lo")), let hi = Int(checked: try num("hi")) else {
                    throw a.argumentError(i, "'\(name)' needs whole lo and hi within ±2^53")
                }
                return (name, try Distribution(checking: .integer(lo, hi, log: d["log"].map { if case .bool(true) = $0 { return true }; return false } ?? false)))
            case "choice":
                guard case .array(let cs)? = d["choices"] else { throw a.argumentError(i, "'\(name)' lacks its choices") }
                return (name, try Distribution(checking: .choice(cs.count)))
            default: throw a.argumentError(i, "'\(name)' is not an hp distribution")
            }
        })
    }

    /// A list of {raw = {...}, score = n} as configs and scores.
    static func scored(_ a: LuaArgs, _ i: Int) throws -> [(config: [String: Double], score: Double)] {
        guard case .array(let rs) = try a.value(i) else { return [] }
        return rs.compactMap { r in
            guard case .record(let f) = r else { return nil }
            let d = Dictionary(f, uniquingKeysWith: { x, _ in x })
            guard let score = d["score"]?.number, case .record(let cfg)? = d["raw"] else { return nil }
            return (Dictionary(cfg.compactMap { k, v in v.number.map { (k, $0) } }, uniquingKeysWith: { x, _ in x }), score)
        }
    }

    /// A list of raw configs.
    static func raws(_ a: LuaArgs, _ i: Int) throws -> [[String: Double]] {
        guard !a.isNoneOrNil(i), case .array(let rs) = try a.value(i) else { return [] }
        return rs.compactMap { r in
            guard case .record(let cfg) = r else { return nil }
            return Dictionary(cfg.compactMap { k, v in v.number.map { (k, $0) } }, uniquingKeysWith: { x, _ in x })
        }
    }

    /// The sampler `method =` names (a registered one: search.lua checked it).
    static func sampler(_ a: LuaArgs, _ i: Int) throws -> any SearchSampler {
        let name = try a.string(i)
        guard let kind = Samplers.registry.named(name) else { throw a.argumentError(i, "no sampler named '\(name)'") }
        return try kind.make(ConstructorArguments(layer: name))
    }

    static func rawTable(_ p: [String: Double]) -> LuaValue { .record(p.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) }) }

    static func specTable(_ s: SearchSpace) -> LuaValue {
        .record(s.parameters.map { name, d in
            switch d {
            case .logUniform(let lo, let hi): return (name, .record([("kind", .string("loguniform")), ("lo", .number(lo)), ("hi", .number(hi))]))
            case .uniform(let lo, let hi): return (name, .record([("kind", .string("uniform")), ("lo", .number(lo)), ("hi", .number(hi))]))
            case .integer(let lo, let hi, let log): return (name, .record([("kind", .string("int")), ("lo", .integer(lo)), ("hi", .integer(hi)), ("log", .bool(log))]))
            case .choice: return (name, .nil)   // the Lua side keeps choice specs as they were
            }
        })
    }

    static let functions: [LuaFunction] = [
        LuaFunction("loguniform", "hp.loguniform(lo, hi)", """
        Log-uniform between real bounds, for learning rates and regularization strengths.
        10^uniform(log10 lo, log10 hi): hp.loguniform(1e-6, 10) spans 1e-6 … 10.
        """) { a in
            // checked where it is written, not later inside hp.search
            let (lo, hi) = (try a.number(1), try a.number(2))
            _ = try Distribution(checking: .logUniform(lo, hi))
            return spec("loguniform", [("lo", .number(lo)), ("hi", .number(hi))])
        },
        LuaFunction("uniform", "hp.uniform(lo, hi)", "Uniform in [lo, hi], e.g. a dropout probability.") { a in
            let (lo, hi) = (try a.number(1), try a.number(2))
            _ = try Distribution(checking: .uniform(lo, hi))
            return spec("uniform", [("lo", .number(lo)), ("hi", .number(hi))])
        },
        LuaFunction("int", "hp.int(lo, hi [, {log=false}])", "An integer in lo..hi (log-uniform when log=true), e.g. a layer width.") { a in
            let o = try a.options(3, allowed: ["log"])
            let (lo, hi, log) = (try a.integer(1), try a.integer(2), try o.bool("log", default: false))
            _ = try Distribution(checking: .integer(lo, hi, log: log))
            return spec("int", [("lo", .integer(lo)), ("hi", .integer(hi)), ("log", .bool(log))])
        },
        LuaFunction("choice", "hp.choice{a, b, ...}", "One of the given values.") { a in
            guard case .array(let cs) = try a.value(1), !cs.isEmpty else { throw a.typeError(1, expected: "non-empty table of choices") }
            return spec("choice", [("choices", .argument(1))])
        },
        // The samplers (Samplers.all), in order: {name =, adaptive =, asha =, help =}.
        .primitive("samplers", as: "hp.search") { _ in
            [.array(Samplers.all.map { k in
                .record([("name", .string(k.name)), ("adaptive", .bool(k.traits.adaptive)), ("asha", .bool(k.traits.worksWithASHA)),
                         ("help", .string(k.help))])
            })]
        },
        // tiny(): a smoke run's limits, {trials = 3, epochs = 1} (OPTLAB_TINY), or nil.
        .primitive("tiny", as: "hp.search") { _ in
            guard TinyRun.isOn else { return [.nil] }
            return [.record([("trials", .integer(TinyRun.trialsPerStage)), ("epochs", .integer(Int(TinyRun.epochs)))])]
        },
        .primitive("announce_tiny", as: "hp.search") { _ in TinyRun.announce(); return [] },
        // check_space(space): the space's bounds, checked before anything is written.
        .primitive("check_space", as: "hp.search") { a in
            _ = try space(a, 1)
            return []
        },
        // plan(method, space, budget): the stage's trial count and a note (or nil).
        .primitive("plan", as: "hp.search") { a in
            let (trials, note) = try sampler(a, 1).plan(space: try space(a, 2), budget: try a.integer(3))
            return [.integer(trials), note.map { .string($0) } ?? .nil]
        },
        // point(method, space, index, budget, seed, trial): a point fixed ahead, or nil (adaptive).
        .primitive("point", as: "hp.search") { a in
            let p = try sampler(a, 1).point(space: try space(a, 2), index: try a.integer(3), budget: try a.integer(4),
                                             seed: UInt64(bitPattern: Int64(try a.integer(5))), trial: try a.integer(6))
            return [p.map(rawTable) ?? .nil]
        },
        // adaptive_point(method, space, finished = {{raw=, score=}, ...}, running = {raw, ...}, seed, trial).
        .primitive("adaptive_point", as: "hp.search") { a in
            let s = try space(a, 2)
            func raw(_ v: LuaValue) -> [String: Double] {
                guard case .record(let f) = v else { return [:] }
                return Dictionary(f.compactMap { k, x in x.number.map { (k, $0) } }, uniquingKeysWith: { x, _ in x })
            }
            var finished: [TPE.Observation] = [], running: [[String: Double]] = []
            if case .array(let rows) = try a.value(3) {
                for case .record(let f) in rows {
                    let d = Dictionary(f, uniquingKeysWith: { x, _ in x })
                    if let score = d["score"]?.number, score.isFinite, let r = d["raw"] { finished.append(TPE.Observation(values: raw(r), score: score)) }
                }
            }
            if case .array(let rows) = try a.value(4) { running = rows.map(raw) }
            return [rawTable(try sampler(a, 1).point(space: s, finished: finished, running: running,
                                                     seed: UInt64(bitPattern: Int64(try a.integer(5))), trial: try a.integer(6)))]
        },
        // narrow(space, finished = {{raw =, score =}, ...}, failed = {raw, ...}): the next stage's space and its warnings
        .primitive("narrow", as: "hp.search") { a in
            let s = try space(a, 1)
            let (narrowed, warnings) = s.narrowed(to: try scored(a, 2), failed: try raws(a, 3))
            return [specTable(narrowed), .array(warnings.map { .string($0) })]
        },
        // borders(space, best raw [, last stage's space, its finished {{raw =, score =}, ...}])
        .primitive("borders", as: "hp.search") { a in
            let s = try space(a, 1)
            guard case .record(let cfg) = try a.state.read(2, depth: 0, asRecord: true) else { throw a.typeError(2, expected: "config") }
            let raw = Dictionary(cfg.compactMap { k, v in v.number.map { (k, $0) } }, uniquingKeysWith: { x, _ in x })
            let edges = s.borders(best: raw)
            var warnings = edges.map(\.message)
            if !a.isNoneOrNil(3) { warnings += try space(a, 3).trendWarnings(try scored(a, 4), skipping: Set(edges.map(\.name))) }
            return [.array(warnings.map { .string($0) })]
        },
        .primitive("write_json", as: "hp.search") { a in
            let path = try a.string(1)
            let v = try a.value(2)
            let data = try JSONSerialization.data(withJSONObject: json(v), options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            if try a.bool(3, default: false) {   // append one line
                try SearchFolder.appendLine(Array(data), to: path, op: "hp.search")
            } else {
                try AtomicFile.write(Array(data) + [0x0a], to: path, op: "hp")
            }
            return []
        },
        // nil for a file that is not there; nil and why for one that is not JSON
        .primitive("read_json", as: "hp.search") { a in
            guard let d = FileManager.default.contents(atPath: try a.string(1)) else { return [.nil] }
            guard let o = try? JSONSerialization.jsonObject(with: d, options: [.fragmentsAllowed]) else {
                return [.nil, .string(d.isEmpty ? "empty" : "not JSON (truncated or damaged)")]
            }
            return [luaValue(o)]
        },
        .primitive("read_lines", as: "hp.search") { a in
            guard let d = FileManager.default.contents(atPath: try a.string(1)) else { return [.array([])] }
            return [.array(String(decoding: d, as: UTF8.self).split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))).map(luaValue)
            })]
        },
        .primitive("lock", as: "hp.search") { a in
            try SearchFolder(try a.string(1)).lock()
            return []
        },
        .primitive("unlock", as: "hp.search") { a in
            SearchFolder(try a.string(1)).unlock()
            return []
        },
        .primitive("lock_holder", as: "hp.search") { a in
            [SearchFolder(try a.string(1)).lockHolder().map { .integer(Int($0)) } ?? .nil]
        },
        // The search folder's layout, as SearchFolder names it (the Lua builds no path of its own).
        .primitive("folder", as: "hp.search") { a in
            let f = SearchFolder(try a.string(1))
            return [.record([("space", .string(f.spacePath)), ("summary", .string(f.summaryPath)), ("lock", .string(f.lockPath)),
                             ("asha", .string(f.ashaLogPath)), ("queue", .string(f.queue)), ("running", .string(f.running)),
                             ("workers", .string(f.workers)), ("slurm", .string(f.slurm)), ("slurm_jobs", .string(f.slurmJobsPath))])]
        },
        .primitive("trial_dir", as: "hp.search") { a in
            [.string(SearchFolder(try a.string(1)).trialDirectory(stage: try a.integer(2), trial: try a.integer(3)))]
        },
        // trial_file(dir, "trial" | "result" | "progress") or trial_file(dir, "rung", k)
        .primitive("trial_file", as: "hp.search") { a in
            let dir = try a.string(1), name = try a.string(2)
            if name == "rung" { return [.string(SearchFolder.rungPath(try a.integer(3), in: dir))] }
            guard let file = SearchFolder.TrialFile.allCases.first(where: { $0.rawValue.hasPrefix(name + ".") }) else {
                throw a.argumentError(2, "no trial file '\(name)'")
            }
            return [.string(SearchFolder.path(of: file, in: dir))]
        },
        .primitive("finished_trial_dir", as: "hp.search") { a in
            [SearchFolder(try a.string(1)).finishedTrialDirectory(try a.integer(2)).map { .string($0) } ?? .nil]
        },
        .primitive("worker_log", as: "hp.search") { a in [.string(SearchFolder(try a.string(1)).workerLog(owner: try a.string(2)))] },
        .primitive("slurm_script", as: "hp.search") { a in [.string(SearchFolder(try a.string(1)).slurmScript(stage: try a.integer(2)))] },
        // slurm_output(root, job, task [, cwd]): a task's output file ("%A", "%a" in the script)
        .primitive("slurm_output", as: "hp.search") { a in
            let task = a.type(3) == LUA_TNUMBER ? String(try a.integer(3)) : try a.string(3)
            return [.string(SearchFolder(try a.string(1)).slurmOutput(job: try a.string(2), task: task, cwd: a.isNoneOrNil(4) ? nil : try a.string(4)))]
        },
        .primitive("refuse_links", as: "hp.search") { a in
            try RunFolder.refuseLinks(inSearch: try a.string(1), op: "hp.search")
            return []
        },
        .primitive("search_root", as: "hp.search") { a in
            let (dir, name) = (try a.string(1), try a.string(2))
            try PathName.checkPath(dir, op: "hp.search", what: "option 'dir'")
            try PathName.checkName(name, op: "hp.search", what: "option 'name'")
            return [.string(SearchFolder(parent: dir, name: name).root)]
        },
        // checkpoints(dir): {{path =, epoch =, score =}, ...} by their names
        .primitive("checkpoints", as: "nn.Ensemble.checkpoints") { a in
            [.array(SearchFolder.checkpoints(in: try a.string(1)).map {
                .record([("path", .string($0.path)), ("epoch", .integer($0.epoch)), ("score", .number($0.score))])
            })]
        },
        // The queue of handed-out trials and the workers' claims on them.
        .primitive("enqueue", as: "hp.search") { a in
            let data = try JSONSerialization.data(withJSONObject: json(try a.value(3)), options: [.sortedKeys, .withoutEscapingSlashes])
            try SearchFolder(try a.string(1)).enqueue(try a.integer(2), job: Array(data) + [0x0a])
            return []
        },
        .primitive("queued", as: "hp.search") { a in [.array(SearchFolder(try a.string(1)).queued().map { .integer($0) })] },
        .primitive("claim", as: "hp.search") { a in
            [.bool(SearchFolder(try a.string(1)).claim(trial: try a.integer(2), owner: try a.string(3)))]
        },
        .primitive("take_over", as: "hp.search") { a in
            [.bool(SearchFolder(try a.string(1)).takeOver(trial: try a.integer(2), owner: try a.string(3)))]
        },
        .primitive("claimed_path", as: "hp.search") { a in
            [.string(SearchFolder(try a.string(1)).claimedPath(try a.integer(2), owner: try a.string(3)))]
        },
        .primitive("claims", as: "hp.search") { a in
            [.array(SearchFolder(try a.string(1)).claims().map { .record([("trial", .integer($0.trial)), ("owner", .string($0.owner)), ("path", .string($0.path))]) })]
        },
        .primitive("drop_claims", as: "hp.search") { a in
            SearchFolder(try a.string(1)).dropClaims(try a.integer(2))
            return []
        },
        .primitive("holders", as: "hp.search") { a in
            [.record(SearchFolder(try a.string(1)).holders().sorted { $0.key < $1.key }.map { (String($0.key), .string($0.value)) })]
        },
        .primitive("append_summary", as: "hp.search") { a in
            let data = try JSONSerialization.data(withJSONObject: json(try a.value(2)), options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
            try SearchFolder.appendLine(Array(data), to: SearchFolder(try a.string(1)).summaryPath, op: "hp.search")
            return []
        },
        .primitive("top_checkpoints", as: "nn.Ensemble.top") { a in
            [.array(try SearchFolder(try a.string(1)).topCheckpoints(try a.integer(2)).map { .string($0) })]
        },
        .primitive("alive", as: "hp.search") { a in
            // Reaps the worker if it has ended, so a dead one is never mistaken for alive.
            let pid = pid_t(try a.integer(1))
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return [.bool(false)] }
            return [.bool(kill(pid, 0) == 0)]
        },
        .primitive("kill", as: "hp.search") { a in
            kill(pid_t(try a.integer(1)), SIGTERM)
            return []
        },
        .primitive("sleep", as: "hp.search") { a in
            usleep(useconds_t(Swift.max(0, Swift.min(10, try a.number(1))) * 1e6))
            return []
        },
        .primitive("pid", as: "hp.search") { _ in [.integer(Int(getpid()))] },
        .primitive("now", as: "hp.search") { _ in
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return [.number(Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9)]
        },
        .primitive("redirect", as: "hp.search") { a in
            // A worker's stdout and stderr go to its log, so the master's table stays whole.
            let path = try a.string(1)
            fflush(nil)
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RuntimeError(.io, "hp", "cannot open \(path)") }
            dup2(fd, 1)
            dup2(fd, 2)
            close(fd)
            return []
        },
        .primitive("realpath", as: "hp.search") { a in
            guard let p = realpath(try a.string(1), nil) else { return [.nil] }
            defer { free(p) }
            return [.string(String(cString: p))]
        },
        .primitive("list", as: "hp.search") { a in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: try a.string(1))) ?? []
            return [.array(names.sorted().map { .string($0) })]
        },
        .primitive("write_text", as: "hp.search") { a in
            // A whole file, atomically and synced (the Slurm stage scripts, jobs lists).
            try AtomicFile.write(Array(try a.string(2).utf8), to: try a.string(1), op: "hp.search")
            return []
        },
        .primitive("mkdir", as: "hp.search") { a in
            try RunFolder.makeDirectories(try a.string(1))
            return []
        },
    ]

    static func json(_ v: LuaValue) -> Any {
        switch v {
        case .nil, .opaque, .function, .argument, .object: return NSNull()
        case .bool(let b): return b
        case .number(let d): return d.isFinite ? d : String(describing: d)
        case .integer(let i): return i
        case .string(let s): return s
        case .tensor(let t): return t.count == 1 ? ((try? t.item()) ?? 0) : t.toDoubles()
        case .array(let items): return items.map(json)
        case .record(let pairs): return Dictionary(pairs.map { ($0.0, json($0.1)) }, uniquingKeysWith: { x, _ in x })
        }
    }

    static func luaValue(_ o: Any) -> LuaValue {
        switch o {
        case let b as Bool where type(of: o) == Bool.self: return .bool(b)
        case let n as NSNumber:
            // JSON integers come back as Lua integers (trial and task numbers are concatenated into names)
            let type = String(cString: n.objCType)
            if type != "d" && type != "f", let i = Int(exactly: n.doubleValue) { return .integer(i) }
            return .number(n.doubleValue)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(luaValue))
        case let d as [String: Any]: return .record(d.sorted { $0.key < $1.key }.map { ($0.key, luaValue($0.value)) })
        default: return .nil
        }
    }
}
