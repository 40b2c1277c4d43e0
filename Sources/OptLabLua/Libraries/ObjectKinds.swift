import CLua
import OptLabRuntime

/// Swift objects that Lua holds as userdata, one kind (metatable) each.
/// Value types are boxed so Lua can hold them.
final class DatasetBox {
    let data: Dataset
    init(_ d: Dataset) { data = d }
}

final class LossBox {
    let loss: Loss
    init(_ l: Loss) { loss = l }
}

final class ScheduleBox {
    let schedule: Schedule
    init(_ s: Schedule) { schedule = s }
}

enum Kind {
    static let module = "Module", loss = "Loss", dataset = "Dataset", optimizer = "Optimizer"
    static let schedule = "Schedule", average = "Average", lbfgs = "LBFGS"
}

extension LuaArgs {
    func object<T: AnyObject>(_ i: Int, kind: String, as: T.Type) throws -> T {
        guard let o = state.object(at: Int32(i), kind: kind, as: T.self) else {
            throw typeError(i, expected: kind == Kind.module ? "module" : kind.lowercased())
        }
        return o
    }

    func module(_ i: Int) throws -> Module { try object(i, kind: Kind.module, as: Module.self) }
    func dataset(_ i: Int) throws -> Dataset { try object(i, kind: Kind.dataset, as: DatasetBox.self).data }
    func optimizer(_ i: Int) throws -> Optimizer { try object(i, kind: Kind.optimizer, as: Optimizer.self) }

    /// A list of parameters: a module's, or a table of tensors.
    func parameters(_ i: Int) throws -> [Tensor] {
        if let m = state.object(at: Int32(i), kind: Kind.module, as: Module.self) { return m.parameters() }
        guard case .array(let items) = try value(i) else { throw typeError(i, expected: "module or table of tensors") }
        return try items.enumerated().map { k, v in
            guard let t = v.tensor else { throw argumentError(i, "entry \(k + 1) is \(v.typeName), expected a tensor") }
            return t
        }
    }
}

extension LuaValue {
    static func module(_ m: Module) -> LuaValue { .object(m, kind: Kind.module) }
    static func dataset(_ d: Dataset) -> LuaValue { .object(DatasetBox(d), kind: Kind.dataset) }
}

extension BindingState {
    /// Registers an object kind: its methods, metamethods and `__index` fallback.
    func installKind(_ name: String, methods: [LuaFunction], meta: [LuaFunction], index: LuaFunction? = nil,
                     qualifier: String) throws -> Int32 {
        let table = try newTable()
        try register(methods, into: table, qualifier: qualifier, isMethod: true)
        let mt = try newKind(name, methods: table, index: index)
        try register(meta, into: mt, qualifier: "", isMethod: false, kind: name)
        return table
    }
}
