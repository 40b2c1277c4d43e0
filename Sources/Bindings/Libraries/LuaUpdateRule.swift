import CLua
import CLuaBridge
import OptLabRuntime

/// An update rule written in Lua (`optim.Optimizer:extend`): one group's
/// rule object (class, hyperparameters, per-parameter state) kept in Lua,
/// updated through optimizers.lua.
final class LuaUpdateRule: TensorUpdateRule, @unchecked Sendable {
    let name: String
    /// {class =, group = hyperparameters, state = {[index] = {...}}}.
    let rule: LuaReference

    init(name: String, rule: LuaReference) {
        self.name = name
        self.rule = rule
    }

    func update(parameter: Tensor, gradient: Tensor, index: Int, learningRate: Double, step: Int) throws {
        _ = try rule.state.callOptimizerSupport("update", [.function(rule), .tensor(parameter), .tensor(gradient),
                                                          .integer(index + 1), .number(learningRate), .integer(step)])
    }

    func stateTensors() -> [(name: String, tensor: Tensor)] {
        guard let out = try? rule.state.callOptimizerSupport("export", [.function(rule)]), case .record(let t)? = out.first else { return [] }
        return t.compactMap { k, v in v.tensor.map { ("\(name).\(k)", $0) } }.sorted { $0.name < $1.name }
    }

    func stateScalars() -> [String: String] {
        guard let out = try? rule.state.callOptimizerSupport("export", [.function(rule)]), out.count > 1, case .record(let n) = out[1] else { return [:] }
        return Dictionary(n.compactMap { k, v in v.number.map { ("\(name).\(k)", String($0.bitPattern)) } }, uniquingKeysWith: { a, _ in a })
    }

    func loadState(tensors: [(name: String, tensor: Tensor)], scalars: [String: String]) throws {
        let prefix = name + "."
        let t = tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), LuaValue.tensor($0.tensor)) }
        let n = scalars.filter { $0.key.hasPrefix(prefix) }.compactMap { k, v in
            UInt64(v).map { (String(k.dropFirst(prefix.count)), LuaValue.number(Double(bitPattern: $0))) }
        }
        _ = try rule.state.callOptimizerSupport("import", [.function(rule), .record(t), .record(n)])
    }
}

extension BindingState {
    /// Calls one of optimizers.lua's support functions, protected.
    func callOptimizerSupport(_ name: String, _ arguments: [LuaValue]) throws -> [LuaValue] {
        guard let f = optimizerSupport[name] else { throw LuaFaceError(.failed, "Lua optimizers are not set up in this state") }
        return try callSupport(f, arguments, keepTables: false)
    }
}

extension OptimLibrary {
    static let primitives: [LuaFunction] = [
        .primitive("lua_optimizer", as: "optim.Optimizer") { a in
            // lua_optimizer(name, {{params =, rule =, lr =, weight_decay =}, ...}, lr)
            let name = try a.string(1)
            guard case .array(let groups) = try a.value(2) else { throw a.typeError(2, expected: "groups") }
            var specs: [(parameters: [Tensor], rule: any UpdateRule, learningRate: Double, weightDecay: Double)] = []
            for (k, g) in groups.enumerated() {
                guard case .record(let f) = g else { continue }
                let d = Dictionary(f, uniquingKeysWith: { x, _ in x })
                let params: [Tensor]
                switch d["params"] {
                case .object(let o, kind: Kind.module)?: params = (o as? Module)?.parameters() ?? []
                case .array(let items)?:
                    params = try items.enumerated().map { i, v in
                        guard let t = v.tensor else { throw a.argumentError(1, "group \(k + 1): params entry \(i + 1) is \(v.typeName), expected a tensor") }
                        return t
                    }
                default: throw LuaFaceError(.argument, "bad argument #1 to '\(name)' (a model, a table of tensors or of groups expected)")
                }
                guard let lr = d["lr"]?.number, let decay = d["weight_decay"]?.number else { throw a.argumentError(2, "group \(k + 1) lacks lr") }
                // the rule object, by reference: its state lives in Lua
                guard case .function(let rule)? = try readRule(a, group: k + 1) else { throw a.argumentError(2, "group \(k + 1) lacks its rule") }
                specs.append((params, LuaUpdateRule(name: name, rule: rule), lr, decay))
            }
            return [.object(try Optimizer(groups: specs, learningRate: try a.number(3)), kind: Kind.optimizer)]
        },
    ]

    /// groups[k].rule at argument 2, as a reference (its identity and state kept).
    static func readRule(_ a: LuaArgs, group k: Int) throws -> LuaValue? {
        let L = a.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard lua_checkstack(L, 3) != 0, lua_type(L, 2) == LUA_TTABLE else { return nil }
        lua_rawgeti(L, 2, lua_Integer(k))
        guard lua_type(L, -1) == LUA_TTABLE else { return nil }
        var found: LuaValue?
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let p = lua_tolstring(L, -2, nil), String(cString: p) == "rule" {
                found = try a.state.read(-1, depth: 0, keepTables: true)
            }
            lua_settop(L, -2)
        }
        return found
    }
}
