/// The one error type the runtime throws.
///
/// Every message names the operation, what it expected and what it got, so
/// that the Lua face can show it unchanged:
/// `matmul: shapes [64,100] and [10,100] do not align (inner 100 vs 10)`.
public struct RuntimeError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case shape, dtype, argument, autograd, io, format
        /// Ctrl-C stopped a loop inside Swift (train.fit).
        case interrupted
        /// Training stopped because the loss became NaN or infinite.
        case diverged
    }

    public let kind: Kind
    /// The operation that failed, as users call it (`matmul`, `npy.load`).
    public let op: String
    public let message: String

    public init(_ kind: Kind, _ op: String, _ message: String) {
        self.kind = kind
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

/// `[64,100]`, the way shapes read in every message.
func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ",") + "]"
}
