import OptLabRuntime

/// The `stats` module's Swift half: the tests and intervals on lists of
/// numbers. Its Lua half (bench/stats.lua) takes runs as well, reads their
/// metric and pairs them by seed.
enum StatsLibrary {
    static let summary = "statistics for comparing runs: mean ± std over seeds, Welch's t, bootstrap intervals, targets"

    static func numbers(_ a: LuaArgs, _ i: Int, _ what: String) throws -> [Double] {
        guard case .array(let items) = try a.value(i) else {
            if case .record(let r) = try a.value(i), r.isEmpty { return [] }
            throw a.argumentError(i, "expected \(what) (a list of numbers), got \(try a.value(i).typeName)")
        }
        return try items.enumerated().map { k, v in
            guard let n = v.number else { throw a.argumentError(i, "\(what)[\(k + 1)] must be a number, got \(v.typeName)") }
            return n
        }
    }

    static func summary(_ s: Summary) -> LuaValue {
        .record([("n", .integer(s.n)), ("mean", .number(s.mean)), ("std", .number(s.std)), ("min", .number(s.min)),
                 ("max", .number(s.max)), ("sem", .number(s.sem))])
    }

    static let functions: [LuaFunction] = [
        // (a, b, paired, level, resamples, seed)
        .primitive("compare", as: "stats.compare") { a in
            let c = try Comparison(try numbers(a, 1, "a"), try numbers(a, 2, "b"), paired: try a.bool(3, default: false),
                                   level: try a.number(4, default: 0.95), resamples: try a.integer(5, default: 10_000),
                                   seed: UInt64(bitPattern: Int64(try a.integer(6, default: 0))))
            return [.record([
                ("diff", .number(c.difference)), ("ci", .array([.number(c.interval.lo), .number(c.interval.hi)])),
                ("ci_t", .array([.number(c.tInterval.lo), .number(c.tInterval.hi)])),
                ("t", .number(c.t)), ("df", .number(c.df)), ("p", .number(c.p)), ("paired", .bool(c.paired)),
                ("level", .number(c.level)), ("resamples", .integer(c.resamples)),
                ("a", summary(c.a)), ("b", summary(c.b)), ("seeds_needed", c.seedsNeeded.map { .integer($0) } ?? .nil),
            ])]
        },
        // (values, target, sigma or nil, below)
        .primitive("target", as: "stats.below_target") { a in
            let sigma: Double? = a.isNoneOrNil(3) ? nil : try a.number(3)
            let r = try TargetTest(try numbers(a, 1, "values"), target: try a.number(2), sigma: sigma, below: try a.bool(4, default: true))
            var fields: [(String, LuaValue)] = [("mean", .number(r.summary.mean)), ("n", .integer(r.summary.n)), ("p", .number(r.p)),
                                                ("target", .number(r.target)), ("std", .number(r.summary.std))]
            if let df = r.df { fields += [("t", .number(r.statistic)), ("df", .number(df))] } else { fields.append(("z", .number(r.statistic))) }
            return [.record(fields)]
        },
        .primitive("summary", as: "stats.summary") { a in [summary(Summary(try numbers(a, 1, "values")))] },
    ]
}
