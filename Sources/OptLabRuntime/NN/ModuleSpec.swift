import Foundation

/// A module's architecture as plain data (type, numeric config, children):
/// what a checkpoint stores in its metadata so that loading rebuilds the
/// model by construction, never by running code from the file.
public struct ModuleSpec: Equatable, Sendable {
    public var type: String
    public var config: [String: Double]
    /// The words it was built with (`["init": "kaiming"]`).
    public var choices: [String: String]
    public var children: [ModuleSpec]

    public init(type: String, config: [String: Double] = [:], choices: [String: String] = [:], children: [ModuleSpec] = []) {
        self.type = type
        self.config = config
        self.choices = choices
        self.children = children
    }

    public init(_ m: Module) {
        self.init(type: m.typeName, config: m.config, choices: m.choices, children: m.children.map { ModuleSpec($0.module) })
    }

    /// `{"type":"Linear","config":{"in":784,"out":256},"children":[]}`
    public func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    var dictionary: [String: Any] {
        var d: [String: Any] = ["type": type, "config": config, "children": children.map(\.dictionary)]
        if !choices.isEmpty { d["choices"] = choices }
        return d
    }

    /// The architecture as a run's config.json records it: every argument of
    /// each layer by its declaration, typed (sizes as integers, flags as
    /// booleans, numbers, words), defaults included.
    public var record: [String: Any] {
        var settings: [String: Any] = [:]
        if let kind = Layers.kind(named: type) {
            for p in kind.positional + kind.options {
                switch p.kind {
                case .size: if let v = config[p.name] ?? p.defaultValue { settings[p.name] = Int(checked: v) ?? v }
                case .sizePair:
                    if let v = config[p.name] ?? p.defaultValue {
                        let h = Int(checked: v) ?? 0, w = config[p.name + "_w"].flatMap { Int(checked: $0) } ?? h
                        settings[p.name] = w == h ? h as Any : [h, w] as Any
                    }
                case .number: if let v = config[p.name] ?? p.defaultValue { settings[p.name] = v }
                case .sizeList:
                    let n = Int(config[p.name + "_count"] ?? 0)
                    settings[p.name] = (0..<n).map { Int(config[p.name + "_\($0 + 1)"] ?? 0) }
                case .numberPair:
                    if let a = config[p.name + "_1"], let b = config[p.name + "_2"] { settings[p.name] = [a, b] }
                case .flag: if let v = config[p.name] ?? p.defaultValue { settings[p.name] = v != 0 }
                case .choice(let words): settings[p.name] = choices[p.name] ?? words.first
                }
            }
        } else {
            for (k, v) in config { settings[k] = v }
            for (k, v) in choices { settings[k] = v }
        }
        var d: [String: Any] = ["type": type, "config": settings]
        if !children.isEmpty { d["children"] = children.map(\.record) }
        return d
    }

    public init(json: String) throws {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else {
            throw RuntimeError(.format, "nn.load", "architecture description is not valid JSON")
        }
        try self.init(any: obj, depth: 0)
    }

    /// As strictly as `json()` writes it: a type, a config object, children
    /// (a list) and choices (an object) when there are any, nothing else.
    init(any: Any, depth: Int) throws {
        guard depth < 64 else { throw RuntimeError(.format, "nn.load", "architecture nested deeper than 64 modules") }
        guard let d = any as? [String: Any], let type = d["type"] as? String else {
            throw RuntimeError(.format, "nn.load", "architecture entry lacks a type")
        }
        if let extra = d.keys.sorted().first(where: { !["type", "config", "children", "choices"].contains($0) }) {
            throw RuntimeError(.format, "nn.load", "\(type): unknown architecture key '\(extra)'")
        }
        guard let settings = d["config"] as? [String: Any] else {
            throw RuntimeError(.format, "nn.load", "\(type): " + (d["config"] == nil ? "lacks its config" : "config is not an object"))
        }
        if let c = d["children"], !(c is [Any]) { throw RuntimeError(.format, "nn.load", "\(type): children is not a list") }
        if let c = d["choices"], !(c is [String: Any]) { throw RuntimeError(.format, "nn.load", "\(type): choices is not an object") }
        var config: [String: Double] = [:]
        for (k, v) in settings {
            guard let n = (v as? NSNumber)?.doubleValue, n.isFinite else {
                throw RuntimeError(.format, "nn.load", "\(type): config '\(k)' is not a number")
            }
            config[k] = n
        }
        let children = try (d["children"] as? [Any] ?? []).map { try ModuleSpec(any: $0, depth: depth + 1) }
        var choices: [String: String] = [:]
        for (k, v) in d["choices"] as? [String: Any] ?? [:] {
            guard let word = v as? String else { throw RuntimeError(.format, "nn.load", "\(type): choice '\(k)' is not a word") }
            choices[k] = word
        }
        self.init(type: type, config: config, choices: choices, children: children)
    }

    /// The parameters and buffers `build()` would make, by path and shape, in
    /// the order of `namedParameters()` then `namedBuffers()`; nothing is allocated.
    public func tensorShapes() throws -> [(name: String, shape: [Int])] {
        let (parameters, buffers) = try shapesByRole()
        return parameters + buffers
    }

    func shapesByRole() throws -> (parameters: [(name: String, shape: [Int])], buffers: [(name: String, shape: [Int])]) {
        guard let kind = Layers.kind(named: type) else { throw RuntimeError(.format, "nn.load", "unknown layer type '\(type)'") }
        let own: [LayerTensor]
        do {
            own = try kind.tensors(ConstructorArguments(layer: type, numbers: config))
        } catch let e as RuntimeError where e.op == type {
            throw RuntimeError(.format, "nn.load", "\(type): \(e.message)")
        }
        var parameters = own.filter { !$0.isBuffer }.map { ($0.name, $0.shape) }, buffers = own.filter(\.isBuffer).map { ($0.name, $0.shape) }
        for (i, child) in children.enumerated() {
            let (p, b) = try child.shapesByRole()
            parameters += p.map { ("\(i + 1).\($0.name)", $0.shape) }
            buffers += b.map { ("\(i + 1).\($0.name)", $0.shape) }
        }
        return (parameters, buffers)
    }

    /// Builds the module this spec describes (weights initialised, to be loaded),
    /// through its layer kind: the same path as the Lua constructor.
    public func build() throws -> Module {
        guard let kind = Layers.kind(named: type) else { throw RuntimeError(.format, "nn.load", "unknown layer type '\(type)'") }
        for (k, v) in config where !v.isFinite { throw RuntimeError(.format, "nn.load", "\(type): config '\(k)' is not a number") }
        do {
            return try kind.make(ConstructorArguments(layer: type, numbers: config, choices: choices, children: try children.map { try $0.build() }))
        } catch let e as RuntimeError where e.op == type {
            throw RuntimeError(.format, "nn.load", "\(type): \(e.message)")
        }
    }
}
