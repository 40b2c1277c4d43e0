/// One argument of a constructor that Lua and checkpoints call the same way
/// (a layer's, an update rule's): its name, kind and default.
public struct ConstructorParameter: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A non-negative integer (sizes, kernels, strides).
        case size
        case number
        /// true/false in Lua, 1/0 in a checkpoint's config.
        case flag
        /// One of these words (construction only; not kept in the config).
        case choice([String])
    }
    public let name: String
    public let kind: Kind
    /// Nil: required. Choices default to their first word unless given.
    public let defaultValue: Double?
    /// Other names the Lua option may be given by (`pad` for `padding`).
    public let aliases: [String]

    public init(_ name: String, _ kind: Kind, default d: Double? = nil, aliases: [String] = []) {
        self.name = name
        self.kind = kind
        defaultValue = d
        self.aliases = aliases
    }
}

/// The arguments a layer (or an update rule) is built from: numbers by
/// config key, chosen words, and child modules.
public struct ConstructorArguments {
    public var numbers: [String: Double]
    public var choices: [String: String]
    public var children: [Module]
    /// What is being built, for messages ("Linear", "Adam").
    public var layer: String

    public init(layer: String, numbers: [String: Double] = [:], choices: [String: String] = [:], children: [Module] = []) {
        self.layer = layer
        self.numbers = numbers
        self.choices = choices
        self.children = children
    }

    public func size(_ key: String) throws -> Int {
        guard let v = numbers[key] else { throw RuntimeError(.argument, layer, "'\(key)' is missing") }
        guard v.rounded() == v, v >= 0, v < 1e9 else { throw RuntimeError(.argument, layer, "'\(key)' must be a size (a non-negative integer), got \(v)") }
        return Int(v)
    }

    public func size(_ key: String, default d: Int) throws -> Int { numbers[key] == nil ? d : try size(key) }

    public func number(_ key: String, default d: Double) -> Double { numbers[key] ?? d }

    public func flag(_ key: String, default d: Bool) -> Bool { numbers[key].map { $0 != 0 } ?? d }

    public func initialization(default d: Initialization) throws -> Initialization {
        guard let s = choices["init"] else { return d }
        return try Initialization(parsing: s)
    }
}

