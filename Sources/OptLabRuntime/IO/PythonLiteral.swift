/// The Python literals a `.npy` header is made of, parsed as
/// `ast.literal_eval` (numpy's reader) parses them, for the forms numpy
/// writes: a dict with string keys, strings, True/False, integers and tuples
/// of them. Anything else (an expression such as `(3, 4) + (1,)`, a list, a
/// call) is an error, as is a key given twice, which Python would let the
/// last one win.
enum PythonLiteral {
    case string(String)
    case bool(Bool)
    case int(Int)
    case tuple([PythonLiteral])
    /// Keys in the order written.
    case dict([(key: String, value: PythonLiteral)])

    /// Parses `text`, which must hold one literal and nothing after it but
    /// whitespace. Throws a description of the first thing that is wrong.
    static func parse(_ text: String) throws(ParseError) -> PythonLiteral {
        var p = Parser(Array(text.utf8))
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.at >= p.bytes.count else { throw p.error("something follows the literal") }
        return v
    }

    struct ParseError: Error { let message: String }

    struct Parser {
        let bytes: [UInt8]
        var at = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func error(_ what: String) -> ParseError { ParseError(message: "\(what) at character \(at + 1)") }

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { at += 1 }
        }

        mutating func expect(_ c: Character) throws(ParseError) {
            skipSpace()
            guard peek == c.asciiValue else { throw error("expected '\(c)'") }
            at += 1
        }

        mutating func value(depth: Int) throws(ParseError) -> PythonLiteral {
            guard depth < 16 else { throw error("literal nested too deeply") }
            skipSpace()
            guard let c = peek else { throw error("the literal ends early") }
            switch c {
            case UInt8(ascii: "{"): return try dict(depth: depth)
            case UInt8(ascii: "("): return try tuple(depth: depth)
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try integer())
            default:
                if word("True") { return .bool(true) }
                if word("False") { return .bool(false) }
                throw error("not a string, number, True, False, tuple or dict")
            }
        }

        /// Consumes `w` if it stands here as a whole word.
        mutating func word(_ w: String) -> Bool {
            let u = Array(w.utf8)
            guard at + u.count <= bytes.count, Array(bytes[at..<at + u.count]) == u else { return false }
            if at + u.count < bytes.count {
                let next = bytes[at + u.count]
                if next == UInt8(ascii: "_") || (next | 0x20 >= UInt8(ascii: "a") && next | 0x20 <= UInt8(ascii: "z"))
                    || (next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9")) { return false }
            }
            at += u.count
            return true
        }

        /// A quoted string without escapes (numpy's dtype codes have none).
        mutating func string() throws(ParseError) -> String {
            let quote = bytes[at]
            at += 1
            let start = at
            while let c = peek, c != quote {
                guard c != UInt8(ascii: "\\"), c != 0x0a else { throw error("escape or line break in a string") }
                at += 1
            }
            guard peek == quote else { throw error("unterminated string") }
            defer { at += 1 }
            return String(decoding: bytes[start..<at], as: UTF8.self)
        }

        /// A decimal integer as Python writes one (no leading zeros but 0).
        mutating func integer() throws(ParseError) -> Int {
            let start = at
            var v = 0
            while let c = peek, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw error("integer too large") }
                v = s
                at += 1
            }
            if at - start > 1 && bytes[start] == UInt8(ascii: "0") { throw error("integer with a leading zero") }
            if let c = peek, c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") || c | 0x20 == UInt8(ascii: "j") || c | 0x20 == UInt8(ascii: "x") || c == UInt8(ascii: "_") {
                throw error("not an integer")
            }
            return v
        }

        /// `(a, b)`, `(a,)` or `()`; `(a)` is a parenthesised value, not a tuple.
        mutating func tuple(depth: Int) throws(ParseError) -> PythonLiteral {
            at += 1
            var items: [PythonLiteral] = []
            var sawComma = false
            while true {
                skipSpace()
                if peek == UInt8(ascii: ")") { at += 1; break }
                items.append(try value(depth: depth + 1))
                skipSpace()
                if peek == UInt8(ascii: ",") { at += 1; sawComma = true; continue }
                try expect(")")
                break
            }
            if items.count == 1 && !sawComma { return items[0] }
            return .tuple(items)
        }

        mutating func dict(depth: Int) throws(ParseError) -> PythonLiteral {
            at += 1
            var entries: [(key: String, value: PythonLiteral)] = []
            while true {
                skipSpace()
                if peek == UInt8(ascii: "}") { at += 1; break }
                guard peek == UInt8(ascii: "'") || peek == UInt8(ascii: "\"") else { throw error("a dict key that is not a string") }
                let key = try string()
                guard !entries.contains(where: { $0.key == key }) else { throw error("key '\(key)' given twice") }
                try expect(":")
                entries.append((key, try value(depth: depth + 1)))
                skipSpace()
                if peek == UInt8(ascii: ",") { at += 1; continue }
                try expect("}")
                break
            }
            return .dict(entries)
        }
    }
}
