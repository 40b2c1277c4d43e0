import Glibc

/// What Tab offers: names (from the Lua side) or file names inside a string.
enum Completion {
    /// The word being completed and its candidates, for the text before the cursor.
    static func candidates(_ before: String, _ names: (_ word: String, _ line: String) -> [String]) -> (String, [String]) {
        if let quote = openQuote(before) {
            let partial = String(before[before.index(after: quote)...])
            return (partial, files(partial))
        }
        let word = String(before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == ":" }.reversed())
        // Candidates are names after the last '.' or ':'; that part is what gets extended.
        let partial = String(word.reversed().prefix { $0 != "." && $0 != ":" }.reversed())
        return (partial, names(word, before))
    }

    /// The position of an unclosed string quote, if the cursor is inside a string.
    static func openQuote(_ s: String) -> String.Index? {
        var open: (Character, String.Index)?
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            if let (q, _) = open {
                if ch == "\\" { i = s.index(after: i); if i == s.endIndex { break } }
                else if ch == q { open = nil }
            } else if ch == "\"" || ch == "'" {
                open = (ch, i)
            } else if ch == "-" && s[i...].hasPrefix("--") {
                return nil
            }
            i = s.index(after: i)
        }
        return open?.1
    }

    static func files(_ partial: String) -> [String] {
        let slash = partial.lastIndex(of: "/")
        let dir = slash.map { String(partial[...$0]) } ?? ""
        let stem = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
        guard let d = opendir(dir.isEmpty ? "." : dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name != "." && name != "..", name.hasPrefix(stem), !name.hasPrefix(".") || stem.hasPrefix(".") else { continue }
            var st = stat()
            let isDir = stat(dir + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            out.append(dir + name + (isDir ? "/" : ""))
        }
        return out.sorted()
    }

    static func commonPrefix(_ xs: [String]) -> String {
        guard var p = xs.first else { return "" }
        for x in xs.dropFirst() {
            while !x.hasPrefix(p) { p.removeLast() }
        }
        return p
    }

    /// Candidates in columns for an 80-column terminal.
    static func columns(_ xs: [String]) -> String {
        let width = (xs.map(\.count).max() ?? 0) + 2
        let perLine = Swift.max(1, 80 / width)
        var lines: [String] = []
        for start in stride(from: 0, to: xs.count, by: perLine) {
            lines.append(xs[start..<Swift.min(start + perLine, xs.count)]
                .map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined().trimmingTrailingSpaces())
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }

    func padding(toLength n: Int, withPad pad: String, startingAt: Int) -> String {
        count >= n ? self : self + String(repeating: pad, count: n - count)
    }
}
