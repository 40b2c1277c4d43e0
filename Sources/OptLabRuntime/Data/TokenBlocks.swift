/// A language model's examples: blocks of `length` consecutive tokens of a
/// stream, each with its next-token targets (the block shifted by one).
/// An epoch is `perEpoch` blocks whose starts are drawn uniformly from the
/// epoch's generator (with replacement, as nanoGPT's get_batch), so a run
/// replays and resumes mid-epoch as a shuffled image set does; evaluation
/// reads `perEpoch` blocks at fixed starts spread evenly over the stream, so
/// every epoch's validation loss is measured on the same tokens.
public struct TokenBlocks: Sendable, Equatable {
    public let length: Int
    public let perEpoch: Int
    /// How many block starts the stream has (a block and its targets fit).
    public let positions: Int

    public init(streamLength: Int, length: Int, perEpoch: Int? = nil) throws {
        guard length > 0 else { throw RuntimeError(.argument, "blocks", "block must be positive, got \(length)") }
        guard streamLength > length else {
            throw RuntimeError(.argument, "blocks", "a block of \(length) tokens and its next-token targets need more than \(length) tokens; the text has \(streamLength)")
        }
        self.length = length
        positions = streamLength - length
        // by default, an epoch reads about as many tokens as the stream has
        self.perEpoch = perEpoch ?? Swift.max(1, (streamLength - 1) / length)
        guard self.perEpoch > 0 else { throw RuntimeError(.argument, "blocks", "per_epoch must be positive, got \(self.perEpoch)") }
    }

    /// An epoch's starts, drawn from its generator.
    func drawnStarts(_ generator: Generator) -> [Int] { (0..<perEpoch).map { _ in generator.below(positions) } }

    /// Evaluation's starts: spread evenly, without overlap when the stream has room.
    var fixedStarts: [Int] { (0..<perEpoch).map { $0 * positions / perEpoch } }
}

extension Dataset {
    /// A language model's set over `stream` (0-based tokens, i32 [L]) of a
    /// `vocabulary`-token alphabet.
    public static func tokens(_ stream: Tensor, vocabulary: Int, block: Int, perEpoch: Int? = nil) throws -> Dataset {
        guard stream.rank == 1, stream.dtype == .i32 else {
            throw RuntimeError(.argument, "blocks", "expected a 1-d i32 token stream, got \(stream.dtype) \(describe(stream.shape))")
        }
        var layout = try TokenBlocks(streamLength: stream.count, length: block, perEpoch: perEpoch)
        if TinyRun.isOn && layout.perEpoch > TinyRun.blocksPerEpoch {
            TinyRun.announce()
            layout = try TokenBlocks(streamLength: stream.count, length: block, perEpoch: TinyRun.blocksPerEpoch)
        }
        var d = try Dataset(inputs: stream, labels: stream, classes: vocabulary)
        d.blocks = layout
        return d
    }

    /// The same stream in other blocks (length, or blocks per epoch).
    public func reblocked(length: Int? = nil, perEpoch: Int? = nil) throws -> Dataset {
        guard let b = blocks else {
            throw RuntimeError(.argument, "Dataset:blocks", "this set's examples are not a token stream (make one with data.text)")
        }
        let keepCount = length == nil || length == b.length
        return try .tokens(inputs, vocabulary: classes, block: length ?? b.length, perEpoch: perEpoch ?? (keepCount ? b.perEpoch : nil))
    }

    /// Blocks at `starts` (from the order an epoch or an evaluation made):
    /// inputs as 1-based ids (what nn.Embedding takes) and 0-based targets, both [B, T].
    func blockBatch(_ starts: ArraySlice<Int>, _ b: TokenBlocks) throws -> (inputs: Tensor, labels: Tensor) {
        let x = try Tensor(uninitialized: [starts.count, b.length], dtype: .i32)
        let y = try Tensor(uninitialized: [starts.count, b.length], dtype: .i32)
        let (s, xp, yp) = (inputs.ptr(Int32.self), x.ptr(Int32.self), y.ptr(Int32.self))
        for (row, start) in starts.enumerated() {
            for j in 0..<b.length {
                xp[row * b.length + j] = s[start + j] + 1
                yp[row * b.length + j] = s[start + j + 1]
            }
        }
        return (x, y)
    }
}
