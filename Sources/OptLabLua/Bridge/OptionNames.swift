/// Unknown option keys are errors, and the message suggests the known key a
/// typo most likely meant: `monitor.hist: unknown option 'bin' (did you mean 'bins'?)`.
enum OptionNames {
    /// The message for `key`, which is not among `allowed` (the function's
    /// name goes before it, as for every failure); `place` says which table
    /// held it ("stage 2") when there are several.
    static func unknown(_ key: String, allowed: [String], place: String? = nil) -> String {
        let at = place.map { " in \($0)" } ?? ""
        if let near = nearest(key, in: allowed) {
            return "unknown option '\(key)'\(at) (did you mean '\(near)'?)"
        }
        let known = allowed.isEmpty ? "it takes no options" : "expected one of: " + allowed.sorted().joined(separator: ", ")
        return "unknown option '\(key)'\(at) (\(known))"
    }

    /// The allowed key within edit distance 2 (1 for short keys) of `key`, or
    /// one that `key` is a prefix or an extension of; the closest wins.
    static func nearest(_ key: String, in allowed: [String]) -> String? {
        let k = Array(key.lowercased())
        var best: (String, Int)?
        for candidate in allowed.sorted() {
            let c = Array(candidate.lowercased())
            var d = distance(k, c)
            if d > 0, c.starts(with: k) || k.starts(with: c) { d = Swift.min(d, 1) }
            let limit = Swift.min(k.count, c.count) <= 3 ? 1 : 2
            if d <= limit, best.map({ d < $0.1 }) ?? true { best = (candidate, d) }
        }
        return best?.0
    }

    /// Levenshtein distance, with an adjacent transposition counted as one edit.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = Swift.min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
