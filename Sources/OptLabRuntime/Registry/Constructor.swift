/// One argument of a declared constructor (a layer's, a loss's, an update
/// rule's, a schedule's): its name, kind, default and allowed range.
public struct ConstructorParameter: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A non-negative integer (sizes, kernels, strides).
        case size
        /// A size, or {height, width}: kept as `name` and, when it differs, `name_w`.
        case sizePair
        case number
        /// Two numbers, {a, b} in Lua (Rprop's etas): kept as `name_1` and `name_2`.
        case numberPair
        /// A list of sizes, {30, 80} in Lua (milestones): kept as `name_1` … `name_k` and `name_count`.
        case sizeList
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
    /// The values a number may take; a value outside is refused, naming the range.
    public let range: AllowedRange?

    public init(_ name: String, _ kind: Kind, default d: Double? = nil, aliases: [String] = [], range: AllowedRange? = nil) {
        self.name = name
        self.kind = kind
        defaultValue = d
        self.aliases = aliases
        self.range = range
    }

    /// Nil when `value` is allowed; otherwise what to say ("label_smoothing must be in [0, 1), got 1").
    public func refusal(_ value: Double) -> String? {
        guard let range, !range.contains(value) else { return nil }
        return "\(name) must be \(range.phrase), got \(value.shortDescription)"
    }
}

/// An interval of allowed values, each end open or closed.
public struct AllowedRange: Sendable, Equatable {
    public let lower: Double, upper: Double
    public let lowerOpen: Bool, upperOpen: Bool

    public init(_ lower: Double, _ upper: Double, lowerOpen: Bool = false, upperOpen: Bool = false) {
        (self.lower, self.upper, self.lowerOpen, self.upperOpen) = (lower, upper, lowerOpen, upperOpen)
    }

    /// (0, ∞)
    public static let positive = AllowedRange(0, .infinity, lowerOpen: true, upperOpen: true)
    /// [0, ∞)
    public static let nonNegative = AllowedRange(0, .infinity, upperOpen: true)
    /// [lower, upper)
    public static func halfOpen(_ lower: Double, _ upper: Double) -> AllowedRange { AllowedRange(lower, upper, upperOpen: true) }
    /// (lower, upper)
    public static func open(_ lower: Double, _ upper: Double) -> AllowedRange { AllowedRange(lower, upper, lowerOpen: true, upperOpen: true) }

    public func contains(_ v: Double) -> Bool {
        (lowerOpen ? v > lower : v >= lower) && (upperOpen ? v < upper : v <= upper)
    }

    /// "positive", "non-negative" or "in [0, 1)".
    public var phrase: String {
        if upper == .infinity && lower == 0 { return lowerOpen ? "positive" : "non-negative" }
        return "in " + (lowerOpen ? "(" : "[") + lower.shortDescription + ", "
            + (upper == .infinity ? "∞" : upper.shortDescription) + (upperOpen ? ")" : "]")
    }
}

/// The arguments a declared kind is built from: numbers by config key,
/// chosen words, and child modules.
public struct ConstructorArguments {
    public var numbers: [String: Double]
    public var choices: [String: String]
    public var children: [Module]
    /// What is being built, for messages ("Linear", "Adam", "step_decay").
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

    /// A size pair: `key` the height, `key_w` the width (the height when absent).
    public func sizePair(_ key: String) throws -> SizePair {
        let h = try size(key)
        return SizePair(h, try size(key + "_w", default: h))
    }

    public func sizePair(_ key: String, default d: Int) throws -> SizePair {
        numbers[key] == nil ? SizePair(d) : try sizePair(key)
    }

    public func number(_ key: String, default d: Double) -> Double { numbers[key] ?? d }

    /// A pair of numbers given as {a, b}, or the default.
    public func numberPair(_ key: String, default d: (Double, Double)) -> (Double, Double) {
        (numbers[key + "_1"] ?? d.0, numbers[key + "_2"] ?? d.1)
    }

    /// A list of sizes given as {a, b, ...}, or none.
    public func sizeList(_ key: String) throws -> [Int] {
        let n = Int(numbers[key + "_count"] ?? 0)
        return try (0..<n).map { try size(key + "_\($0 + 1)") }
    }

    /// A choice's word, or the default.
    public func choice(_ key: String, default d: String) -> String { choices[key] ?? d }

    public func flag(_ key: String, default d: Bool) -> Bool { numbers[key].map { $0 != 0 } ?? d }

    public func initialization(default d: Initialization) throws -> Initialization {
        guard let s = choices["init"] else { return d }
        return try Initialization(parsing: s)
    }
}

