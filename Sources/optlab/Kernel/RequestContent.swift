import Foundation

/// The fields of each request's content the kernel reads, with the types the
/// messaging protocol gives them. A message's content is a stranger's JSON:
/// a field of the wrong type, a negative count or an unknown access type gets
/// an error reply naming the field, before anything acts on it.
enum RequestContent {
    enum Field {
        case string, bool, object, integer
        /// A whole number ≥ 0 (a cursor position, a count).
        case count
        /// One of these words.
        case word([String])
    }

    static let fields: [String: [(String, Field)]] = [
        "execute_request": [("code", .string), ("silent", .bool), ("store_history", .bool), ("allow_stdin", .bool),
                            ("stop_on_error", .bool), ("user_expressions", .object)],
        "complete_request": [("code", .string), ("cursor_pos", .count)],
        "inspect_request": [("code", .string), ("cursor_pos", .count), ("detail_level", .count)],
        "is_complete_request": [("code", .string)],
        "history_request": [("output", .bool), ("raw", .bool), ("hist_access_type", .word(["tail", "range", "search"])),
                            ("session", .integer), ("start", .integer), ("stop", .integer), ("n", .count),
                            ("pattern", .string), ("unique", .bool)],
        "shutdown_request": [("restart", .bool)],
        "comm_info_request": [("target_name", .string)],
    ]

    /// What is wrong with `content` for a request of `type`, or nil.
    static func problem(_ content: [String: Any], type: String) -> String? {
        for (name, field) in fields[type] ?? [] {
            guard let v = content[name], !(v is NSNull) else { continue }
            let ok: Bool
            switch field {
            case .string: ok = v is String
            case .bool: ok = isBool(v)
            case .object: ok = v is [String: Any]
            case .integer: ok = !isBool(v) && (v as? Int) != nil
            case .count: ok = !isBool(v) && ((v as? Int).map { $0 >= 0 } ?? false)
            case .word(let words): ok = (v as? String).map(words.contains) ?? false
            }
            if !ok { return "\(type): '\(name)' must be \(describe(field)), got \(shown(v))" }
        }
        return nil
    }

    /// The error reply's content.
    static func errorReply(_ why: String) -> [String: Any] {
        ["status": "error", "ename": "BadRequest", "evalue": why, "traceback": [why]]
    }

    private static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    private static func describe(_ f: Field) -> String {
        switch f {
        case .string: return "a string"
        case .bool: return "a boolean"
        case .object: return "an object"
        case .integer: return "an integer"
        case .count: return "an integer ≥ 0"
        case .word(let words): return "one of " + words.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    private static func shown(_ v: Any) -> String {
        if isBool(v) { return (v as? Bool) == true ? "true" : "false" }
        if let s = v as? String { return "\"\(s.prefix(40))\"" }
        if let n = v as? NSNumber { return n.stringValue }
        if v is [Any] { return "a list" }
        if v is [String: Any] { return "an object" }
        return "\(type(of: v))"
    }
}
