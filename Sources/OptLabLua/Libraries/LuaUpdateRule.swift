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
        _ = try rule.state.callSupport(.update, [.function(rule), .tensor(parameter), .tensor(gradient),
                                                          .integer(index + 1), .number(learningRate), .integer(step)])
    }

    func stateTensors() -> [(name: String, tensor: Tensor)] {
        guard let out = try? rule.state.callSupport(.export, [.function(rule)]), case .record(let t)? = out.first else { return [] }
        return t.compactMap { k, v in v.tensor.map { ("\(name).\(k)", $0) } }.sorted { $0.name < $1.name }
    }

    func stateScalars() -> [String: String] {
        guard let out = try? rule.state.callSupport(.export, [.function(rule)]), out.count > 1, case .record(let n) = out[1] else { return [:] }
        return Dictionary(n.compactMap { k, v in v.number.map { ("\(name).\(k)", String($0.bitPattern)) } }, uniquingKeysWith: { a, _ in a })
    }

    func loadState(tensors: [(name: String, tensor: Tensor)], scalars: [String: String]) throws {
        let prefix = name + "."
        let t = tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), LuaValue.tensor($0.tensor)) }
        let n = scalars.filter { $0.key.hasPrefix(prefix) }.compactMap { k, v in
            UInt64(v).map { (String(k.dropFirst(prefix.count)), LuaValue.number(Double(bitPattern: $0))) }
        }
        _ = try rule.state.callSupport(.`import`, [.function(rule), .record(t), .record(n)])
    }
}

extension OptimLibrary {
    static let primitives: [LuaFunction] = [
        .primitive("lua_optimizer", as: "optim.Optimizer") { a in
            // lua_optimizer(name, lr, params, rule, lr, weight_decay, params, rule, ...): a group per four
            let name = try a.string(1)
            var specs: [(parameters: [Tensor], rule: any UpdateRule, learningRate: Double, weightDecay: Double)] = []
            for (k, at) in stride(from: 3, to: a.count + 1, by: 4).enumerated() {
                let params: [Tensor]
                if let m = a.state.object(at: Int32(at), kind: Kind.module, as: Module.self) {
                    params = m.parameters()
                } else if case .array(let items) = try a.value(at) {
                    params = try items.enumerated().map { i, v in
                        guard let t = v.tensor else { throw a.argumentError(1, "group \(k + 1): params entry \(i + 1) is \(v.typeName), expected a tensor") }
                        return t
                    }
                } else {
                    throw LuaFaceError(argument: 1, of: name, "a model, a table of tensors or of groups expected")
                }
                // the rule object, by reference: its state lives in Lua
                guard case .function(let rule) = try a.state.read(Int32(at + 1), depth: 0, keepTables: true) else {
                    throw a.argumentError(at + 1, "a rule object expected")
                }
                specs.append((params, LuaUpdateRule(name: name, rule: rule), try a.number(at + 2), try a.number(at + 3)))
            }
            return [.object(try Optimizer(groups: specs, learningRate: try a.number(2)), kind: Kind.optimizer)]
        },
    ]
}
