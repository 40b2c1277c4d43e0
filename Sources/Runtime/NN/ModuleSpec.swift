import Foundation

/// A module's architecture as plain data (type, numeric config, children):
/// what a checkpoint stores in its metadata so that loading rebuilds the
/// model by construction, never by running code from the file.
public struct ModuleSpec: Equatable, Sendable {
    public var type: String
    public var config: [String: Double]
    public var children: [ModuleSpec]

    public init(type: String, config: [String: Double] = [:], children: [ModuleSpec] = []) {
        self.type = type
        self.config = config
        self.children = children
    }

    public init(_ m: Module) {
        self.init(type: m.typeName, config: m.config, children: m.children.map { ModuleSpec($0.module) })
    }

    /// `{"type":"Linear","config":{"in":784,"out":256},"children":[]}`
    public func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    var dictionary: [String: Any] {
        ["type": type, "config": config, "children": children.map(\.dictionary)]
    }

    public init(json: String) throws {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else {
            throw RuntimeError(.format, "nn.load", "architecture description is not valid JSON")
        }
        try self.init(any: obj, depth: 0)
    }

    init(any: Any, depth: Int) throws {
        guard depth < 64, let d = any as? [String: Any], let type = d["type"] as? String else {
            throw RuntimeError(.format, "nn.load", "architecture entry lacks a type")
        }
        var config: [String: Double] = [:]
        for (k, v) in d["config"] as? [String: Any] ?? [:] {
            guard let n = (v as? NSNumber)?.doubleValue, n.isFinite else {
                throw RuntimeError(.format, "nn.load", "\(type): config '\(k)' is not a number")
            }
            config[k] = n
        }
        let children = try (d["children"] as? [Any] ?? []).map { try ModuleSpec(any: $0, depth: depth + 1) }
        self.init(type: type, config: config, children: children)
    }

    /// Builds the module this spec describes (weights initialised, to be loaded).
    public func build() throws -> Module {
        func int(_ k: String) throws -> Int {
            guard let v = config[k], v.rounded() == v, v >= 0, v < 1e9 else {
                throw RuntimeError(.format, "nn.load", "\(type): config '\(k)' missing or not a size")
            }
            return Int(v)
        }
        func num(_ k: String, _ d: Double) -> Double { config[k] ?? d }
        switch type {
        case "Sequential": return try Sequential(children.map { try $0.build() })
        case "Ensemble": return try Ensemble(children.map { try $0.build() })
        case "Linear": return try Linear(try int("in"), try int("out"), bias: num("bias", 1) != 0)
        case "Conv2d":
            return try Conv2d(try int("in"), try int("out"), kernel: try int("kernel"), stride: try int("stride"),
                              padding: try int("padding"), bias: num("bias", 1) != 0)
        case "MaxPool2d": return try MaxPool2d(try int("kernel"), stride: try int("stride"))
        case "Flatten": return Flatten()
        case "ReLU": return ReLU()
        case "LeakyReLU": return LeakyReLU(slope: num("slope", 0.01))
        case "Tanh": return Tanh()
        case "Sigmoid": return Sigmoid()
        case "Dropout": return try Dropout(num("p", 0.5))
        case "BatchNorm": return try BatchNorm(try int("features"), momentum: num("momentum", 0.1), eps: num("eps", 1e-5))
        case "Maxout": return try Maxout(try int("in"), try int("out"), pieces: try int("pieces"))
        default: throw RuntimeError(.format, "nn.load", "unknown layer type '\(type)'")
        }
    }
}
