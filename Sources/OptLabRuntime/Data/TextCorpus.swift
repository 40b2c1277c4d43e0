import Foundation

/// A text as a language model reads it, one token per character (Unicode
/// scalar, as Python's str and nanoGPT's char-level prepare.py count them):
/// the vocabulary is the sorted set of characters, token i (0-based here,
/// 1-based in Lua) the i-th of them; train and validation are the first
/// and last parts of the stream (nanoGPT's 90/10 cut), never shuffled
/// together, so no validation block overlaps a training one.
public struct TextCorpus {
    /// The characters, in code-point order.
    public let vocabulary: [Unicode.Scalar]
    /// Every character's token (0-based), i32 [L].
    public let tokens: Tensor
    private let index: [Unicode.Scalar: Int32]

    public init(text: String) throws {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 2 else {
            throw RuntimeError(.argument, "data.text", "the text has \(scalars.count) character\(scalars.count == 1 ? "" : "s"): a language model needs at least 2")
        }
        vocabulary = Set(scalars).sorted { $0.value < $1.value }
        index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
        let t = try Tensor(uninitialized: [scalars.count], dtype: .i32)
        let p = t.ptr(Int32.self)
        for (i, c) in scalars.enumerated() { p[i] = index[c]! }
        tokens = t
    }

    /// A UTF-8 file's text.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError(.io, "data.text", "cannot read '\(path)' (no such file, or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RuntimeError(.argument, "data.text", "'\(path)' is not UTF-8 text")
        }
        try self.init(text: text)
    }

    public var count: Int { tokens.count }

    /// The tokens (0-based) of `text`; a character outside the vocabulary is an error naming it.
    public func encode(_ text: String) throws -> [Int32] {
        try text.unicodeScalars.enumerated().map { i, c in
            guard let t = index[c] else {
                throw RuntimeError(.argument, "encode", "character \(c.escaped(asASCII: true)) at position \(i + 1) is not in the vocabulary (\(vocabulary.count) characters)")
            }
            return t
        }
    }

    /// The text of 0-based tokens.
    public func decode(_ ids: [Int]) throws -> String {
        var s = String.UnicodeScalarView()
        for (i, t) in ids.enumerated() {
            guard vocabulary.indices.contains(t) else {
                throw RuntimeError(.argument, "decode", "token \(t + 1) at position \(i + 1) is out of range 1..\(vocabulary.count)")
            }
            s.append(vocabulary[t])
        }
        return String(s)
    }

    /// The training and validation streams: the first 1 − `validation` of the
    /// tokens and the rest.
    public func split(validation: Double) throws -> (train: Tensor, validation: Tensor) {
        guard validation >= 0, validation < 1 else {
            throw RuntimeError(.argument, "data.text", "val must be in [0, 1), got \(validation.shortDescription)")
        }
        let cut = Int(Double(count) * (1 - validation))
        return (try tokens.narrow(dim: 0, start: 0, length: cut).clone(),
                try tokens.narrow(dim: 0, start: cut, length: count - cut).clone())
    }
}
