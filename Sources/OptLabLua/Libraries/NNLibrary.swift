import CLua
import Foundation
import OptLabRuntime

/// The `nn` module: layers, containers, losses, regularisation, checkpoints.
enum NNLibrary {
    static let summary = "layers, losses, l2, save/load, ensembles"

    /// `nn.<Layer>(...)`, made from the layer's declaration (`LayerKind`): its
    /// positional arguments, then its options table, nothing more.
    static func constructor(_ kind: LayerKind) -> LuaFunction {
        LuaFunction(kind.name, kind.signature, kind.help, options: kind.optionNames) { a in
            if kind.takesChildren {
                try a.noArguments(after: 1)
                var args = ConstructorArguments(layer: kind.name)
                args.children = try modules(a, 1)
                return [.module(try kind.make(args))]
            }
            return [.module(try kind.make(try a.constructorArguments(kind, qualifier: "")))]
        }
    }

    /// `nn.<Loss>({options})`, made from the loss's declaration (`LossKind`).
    static func constructor(_ kind: LossKind) -> LuaFunction {
        LuaFunction(kind.name, kind.signature, kind.help, options: kind.optionNames) { a in
            [.object(LossBox(try kind.make(try a.constructorArguments(kind, optionsTable: true, qualifier: ""))), kind: Kind.loss)]
        }
    }

    static let functions: [LuaFunction] = Layers.all.filter(\.inLua).map(constructor) + Losses.all.map(constructor) + others

    static let others: [LuaFunction] = [
        LuaFunction("Lambda", "nn.Lambda(fn [, name])", """
        A layer whose forward is fn(x) (no parameters); a plain function inside
        nn.Sequential is one too.
          local model = nn.Sequential{nn.Linear(4, 4), nn.Lambda(function(x) return x:relu() * 2 end, "relu2")}
        """) { a in
            try a.noArguments(after: 2)
            guard case .function(let f) = try a.value(1) else { throw a.typeError(1, expected: "function") }
            return [.module(LuaFunctionModule(f, label: try a.string(2, default: "fn")))]
        },
        LuaFunction("load", "nn.load(path)", """
        Rebuilds a model saved with model:save(path): the architecture from the
        file's metadata, the weights from its tensors. Runs no code from the file.
        Returns the model and the file's other metadata.
          local model, meta = nn.load("runs/exp1/ep005_val0.8812.safetensors")
        """) { a in
            let (m, meta) = try Module.load(from: try a.string(1))
            return [.module(m), .record(meta.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })]
        },
        LuaFunction("l2", "nn.l2(model [, strength=1] [, {biases=false}])", """
        The regularisation term ½·strength·Σw² over the model's weights (not
        biases unless asked), kept apart from the data loss.
          local loss = loss_fn(model(x), y) + nn.l2(model, 1e-4)
        """) { a in
            let m = try a.module(1)
            let hasStrength = a.type(2) == LUA_TNUMBER
            let o = try a.options(hasStrength ? 3 : 2, allowed: ["biases"])
            return [.tensor(try l2Penalty(m, strength: try a.number(2, default: 1), includeBiases: try o.bool("biases", default: false)))]
        },
    ]

    /// For the prelude, which makes `nn.Ensemble` callable and gives it `load`
    /// and `top`, and for module_classes.lua (Lua-defined modules, nn.Parameter).
    static let primitives: [LuaFunction] = [
        .primitive("lua_module", as: "Module:extend") { a in
            guard case .function(let table) = try a.state.read(2, depth: 0, keepTables: true) else { throw a.typeError(2, expected: "table") }
            return [.module(LuaDefinedModule(className: try a.string(1), instance: table))]
        },
        .primitive("parameter", as: "nn.Parameter") { a in
            let t = try a.tensor(1)
            try t.requiringGrad()
            t.isParameter = true
            return [.argument(1)]
        },
        .primitive("Ensemble", as: "nn.Ensemble") { a in
            try a.noArguments(after: 1)
            return [.module(try Ensemble(try modules(a, 1)))]
        },
        .primitive("Ensemble_load", as: "nn.Ensemble.load") { a in
            guard case .array(let items) = try a.value(1) else { throw a.typeError(1, expected: "table of paths") }
            return [.module(try Ensemble.load(try items.map { guard let s = $0.string else { throw a.argumentError(1, "paths must be strings") }; return s }))]
        },
    ]

    /// A table of modules; a plain Lua function among them is a layer too.
    static func modules(_ a: LuaArgs, _ i: Int) throws -> [Module] {
        guard case .array(let items) = try a.value(i) else { throw a.typeError(i, expected: "table of modules") }
        return try items.enumerated().map { k, v in
            if case .function(let f) = v { return LuaFunctionModule(f, label: "function \(k + 1)") }
            guard case .object(let o, kind: Kind.module) = v, let m = o as? Module else {
                throw a.argumentError(i, "entry \(k + 1) is \(v.typeName), expected a module or a function")
            }
            return m
        }
    }

    static let methods: [LuaFunction] = [
        LuaFunction("forward", "model:forward(x)", "The output for input x (same as model(x)).") { a in [.tensor(try a.module(1).forward(try a.tensor(2)))] },
        LuaFunction("parameters", "model:parameters()", """
        The parameters, a table of tensors, each with p.name ("1.weight") and p.grad.
          for _, p in ipairs(model:parameters()) do print(p.name, p:norm():item()) end
        """) { a in [.array(try a.module(1).parameters().map { .tensor($0) })] },
        LuaFunction("num_parameters", "model:num_parameters()", "How many trainable numbers the model has.") { a in [.integer(try a.module(1).parameterCount)] },
        LuaFunction("train", "model:train()", "Training mode (dropout on, batch statistics); returns the model.") { a in
            try a.module(1).train()
            return [.argument(1)]
        },
        LuaFunction("evaluate", "model:evaluate()", "Evaluation mode (no dropout, running statistics); returns the model.") { a in
            try a.module(1).evaluate()
            return [.argument(1)]
        },
        LuaFunction("zero_grad", "model:zero_grad()", "Forgets every parameter's gradient.") { a in
            try a.module(1).zeroGrad()
            return []
        },
        LuaFunction("to", "model:to(dtype)", "Converts every parameter to dtype (\"f64\" for gradient checks); returns the model.") { a in
            try a.module(1).to(try a.dtype(2))
            return [.argument(1)]
        },
        LuaFunction("clone", "model:clone()", "A deep copy with its own parameters.") { a in [.module(try a.module(1).clone())] },
        LuaFunction("save", "model:save(path [, metadata])", """
        Writes weights and architecture to a .safetensors file, atomically.
          model:save("mlp.safetensors", {note = "baseline"})
        """) { a in
            var meta: [String: String] = [:]
            if !a.isNoneOrNil(3), case .record(let pairs) = try a.state.read(3, depth: 0, asRecord: true) {
                for (k, v) in pairs { meta[k] = v.string ?? v.number.map { String($0) } ?? "" }
            }
            try a.module(1).save(to: try a.string(2), metadata: meta)
            return []
        },
        LuaFunction("children", "model:children()", "The direct sub-modules, a table.") { a in [.array(try a.module(1).children.map { .module($0.module) })] },
        LuaFunction("add", "seq:add(layer)", "Appends a layer (a module or a function) to a Sequential; returns the Sequential.") { a in
            guard let s = try a.module(1) as? Sequential else { throw a.argumentError(1, "add needs an nn.Sequential") }
            let v = try a.value(2)
            if case .function(let f) = v { try s.append(LuaFunctionModule(f, label: "function \(s.children.count + 1)")) } else { try s.append(try a.module(2)) }
            return [.argument(1)]
        },
        LuaFunction("buffer", "self:buffer(name, t)", """
        In a Lua module: registers t as a buffer (state that is saved and moved with
        the module but not trained, like BatchNorm's running statistics); self[name] reads it.
          local Norm = nn.Module:extend("Norm")
          function Norm:init(d) self:buffer("running", tensor.zeros(d)) end
        """) { a in
            guard let lm = try a.module(1) as? LuaDefinedModule else { throw a.argumentError(1, "buffers are registered by Lua-defined modules") }
            lm.setBuffer(try a.string(2), try a.tensor(3))
            return []
        },
        LuaFunction("named_parameters", "model:named_parameters()", """
        The parameters by their path names: a table name -> tensor ("2.weight").
          for name, p in pairs(model:named_parameters()) do print(name, p:shape()) end
        """) { a in [.record(try a.module(1).namedParameters().map { ($0.name, .tensor($0.tensor)) })] },
        LuaFunction("state", "model:state()", """
        Parameters and buffers by name, a table name -> tensor (PyTorch's state_dict);
        the tensors are the model's own.
        """) { a in
            let m = try a.module(1)
            return [.record((m.namedParameters() + m.namedBuffers()).map { ($0.name, .tensor($0.tensor)) })]
        },
        LuaFunction("load_state", "model:load_state(t [, {strict=true}])", """
        Copies the tensors of t (name -> tensor, as model:state() gives) into the model.
        Strict: every name must be there with its shape and no other; the error names each
        missing, unexpected or wrongly shaped tensor. Returns {missing=, unexpected=}.
        """) { a in
            let m = try a.module(1)
            guard case .record(let pairs) = try a.state.read(2, depth: 0, asRecord: true) else { throw a.typeError(2, expected: "table of tensors") }
            let strict = try a.options(3, allowed: ["strict"]).bool("strict", default: true)
            let tensors = try pairs.map { k, v -> (name: String, tensor: Tensor) in
                guard let t = v.tensor else { throw a.argumentError(2, "entry '\(k)' is \(v.typeName), expected a tensor") }
                return (k, t)
            }
            return [loadResult(try m.loadState(tensors, strict: strict))]
        },
        LuaFunction("load_weights", "model:load_weights(path [, {strict=true, from=\"optlab\"}])", """
        Loads a checkpoint's tensors into this model by name (the way back for models with
        Lua-defined modules, which nn.load cannot rebuild). Strict as model:load_state.
        from = "torch" reads a PyTorch state_dict saved with safetensors
        (safetensors.torch.save_file(model.state_dict(), path)) into the same architecture built
        here: its container indices counted from 0 become optlab's from 1 (0.weight → 1.weight),
        BatchNorm's num_batches_tracked is dropped; every other name is PyTorch's already.
          model:load_weights("runs/exp1/ep005_val0.8812.safetensors")
        """, options: ["strict", "from"]) { a in
            let m = try a.module(1)
            let o = try a.options(3, allowed: ["strict", "from"])
            let from = try o.string("from", default: "optlab")
            guard let origin = WeightOrigin(rawValue: from) else {
                throw a.argumentError(3, "option 'from' must be \"optlab\" or \"torch\", got \"\(from)\"")
            }
            return [loadResult(try m.loadWeights(from: try a.string(2), strict: try o.bool("strict", default: true), origin: origin))]
        },
    ]

    static let meta: [LuaFunction] = [
        LuaFunction("__call", "", "", returningTensor: { a in
            let m = try a.module(1)
            if let r = m as? RecurrentLayer {
                // lstm(x [, h0, c0]): the outputs, then the final states
                let initial = a.isNoneOrNil(3) ? nil : try (0..<r.stateCount).map { try a.tensor(3 + $0) }
                let (out, states) = try r.run(try a.tensor(2), initial: initial)
                a.moreResults = states.map { .tensor($0) }
                ActivationTrace.record(m, out)
                return out
            }
            let out = try m.forward(try a.tensor(2))
            ActivationTrace.record(m, out)   // inside a watched pass: a Lua module's children appear in monitor.layers
            return out
        }),
        LuaFunction("__newindex", "", "") { a in
            // self.fc = nn.Linear(...) in a Lua module's init: a child; an nn.Parameter: a parameter; else a plain field
            let m = try a.module(1)
            let key = try a.string(2)
            guard let lm = m as? LuaDefinedModule else {
                throw LuaFaceError(.failed, "cannot set field '\(key)' on \(m.summary): a built-in layer's fields are its own")
            }
            let v = try a.state.read(3, depth: 0, keepTables: true)
            let wasChild = lm.children.contains { $0.name == key }, wasParameter = lm.parameterSlots.contains { $0.name == key }
            switch v {
            case .object(let o, kind: Kind.module):
                guard let child = o as? Module, child !== lm else { throw a.argumentError(3, "a module cannot be its own child") }
                if wasParameter { try lm.setParameter(key, nil) }
                try lm.setChild(key, child)
                // mirrored in the instance's table, so self.fc is answered in C
                _ = try a.state.callSupport(.store, [.function(lm.instance), .string(key), .argument(3)])
            case .tensor(let t) where t.isParameter:
                if wasChild { try lm.setChild(key, nil) }
                try lm.setParameter(key, t)
                // parameters are answered by Swift (to() replaces them): no field may shadow one
                _ = try a.state.callSupport(.store, [.function(lm.instance), .string(key), .nil])
            default:
                if wasChild { try lm.setChild(key, nil) }
                if wasParameter { try lm.setParameter(key, nil) }
                _ = try a.state.callSupport(.store, [.function(lm.instance), .string(key), .argument(3)])
            }
            lm.nameParameters()
            return []
        },
        LuaFunction("__tostring", "", "") { a in [.string(try a.module(1).description)] },
        LuaFunction("__len", "", "") { a in [.integer(try a.module(1).children.count)] },
    ]

    static func loadResult(_ r: (missing: [String], unexpected: [String])) -> LuaValue {
        .record([("missing", .array(r.missing.map { .string($0) })), ("unexpected", .array(r.unexpected.map { .string($0) }))])
    }

    /// `model[i]` is the i-th child; `model.training` the mode; `lin.weight`,
    /// `lin.bias`, `bn.running_mean`: its own parameters and buffers; a child by name.
    static let index = LuaFunction("__index", "", "") { a in
        let m = try a.module(1)
        if a.type(2) == LUA_TNUMBER {
            let i = try a.integer(2)
            guard i >= 1, i <= m.children.count else { return [.nil] }
            return [.module(m.children[i - 1].module)]
        }
        guard a.type(2) == LUA_TSTRING else { return [.nil] }
        let key = try a.string(2)
        if key == "training" { return [.bool(m.isTraining)] }
        if let p = m.parameterSlots.first(where: { $0.name == key }) { return [.tensor(p.tensor)] }
        if let b = m.bufferSlots.first(where: { $0.name == key }) { return [.tensor(b.tensor)] }
        if let c = m.children.first(where: { $0.name == key }) { return [.module(c.module)] }
        if let lm = m as? LuaDefinedModule {
            // plain fields and the class's methods
            return Array(try a.state.callSupport(.lookup, [.function(lm.instance), .string(key)]).prefix(1))
        }
        return [.nil]
    }

    static let lossMeta: [LuaFunction] = [
        LuaFunction("__call", "", "") { a in
            let box = try a.object(1, kind: Kind.loss, as: LossBox.self)
            let scores = try a.tensor(2)
            let loss = box.loss
            guard loss.targets == .classIndices else { return [.tensor(try loss(scores, try a.tensor(3)))] }
            // labels are checked in range here, at the user's line, unless some may be the ignored one
            let classes = scores.rank >= 2 && loss.rule.ignoredLabel == nil ? scores.shape.last : nil
            return [.tensor(try loss(scores, try a.indices(3, op: loss.rule.operation, bound: classes, what: "label")))]
        },
        LuaFunction("__tostring", "", "") { a in [.string("nn." + (try a.object(1, kind: Kind.loss, as: LossBox.self)).loss.name)] },
    ]
}
