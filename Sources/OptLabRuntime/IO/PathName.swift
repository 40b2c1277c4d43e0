/// Names and paths a user gives, checked before they become files. A name
/// (a search's `name`) is one folder inside the one given for it: `"../x"`
/// would write outside it, `""` straight into it. A path (`dir`, `log`) may
/// go anywhere the user can write, but a NUL byte would cut it short, and the
/// empty path names no folder.
public enum PathName {
    /// Refuses a name that is not a single folder name.
    public static func checkName(_ name: String, op: String, what: String) throws {
        let why: String?
        if name.isEmpty { why = "it is empty" }
        else if name == "." || name == ".." { why = "it names no folder of its own" }
        else if name.contains("/") { why = "it contains '/'" }
        else if name.utf8.contains(0) { why = "it contains a NUL byte" }
        else if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { why = "it contains a control character" }
        else { why = nil }
        if let why {
            throw RuntimeError(.argument, op, "\(what) must be a single folder name (no '/', not '.' or '..'), got \(String(reflecting: name)): \(why)")
        }
    }

    /// Refuses a path that is empty or holds a NUL byte.
    public static func checkPath(_ path: String, op: String, what: String) throws {
        if path.isEmpty { throw RuntimeError(.argument, op, "\(what) must be a path, got the empty string") }
        if path.utf8.contains(0) { throw RuntimeError(.argument, op, "\(what) must be a path without NUL bytes, got \(String(reflecting: path))") }
    }
}
