import CLua
import CLuaBridge
import OptLabRuntime

/// Setting a state up: the tensor type, the object kinds, the libraries
/// (`tensor`, `nn`, `data`, `optim`, `train`, `check`, `monitor`, `hp`,
/// `autograd`), then optlab's own Lua files, each given what it needs as
/// arguments (never as globals).
extension LuaVM {
    func install(globals: Bool) throws {
        let tensorModule = try installTensor(globals: globals)
        let kinds = try installKinds()
        let primitives = try state.newTable()
        var moduleTables = try installLibraries(globals: globals, kinds: kinds, primitives: primitives)
        moduleTables["tensor"] = tensorModule
        try installPrimitives(primitives, kinds: kinds)
        Trainer.interruptCheck = { LuaVM.takeInterrupt() }
        try loadOwnLua(globals: globals, primitives: primitives, moduleTables: moduleTables)
    }

    /// Tensors: their methods, metamethods and the `tensor` module; returns the module.
    private func installTensor(globals: Bool) throws -> Int32 {
        let methods = try state.newTable()
        try state.register(TensorMethods.functions + TensorInPlace.functions, into: methods, qualifier: "Tensor:", isMethod: true)
        state.tensorMetatable = try state.newKind("Tensor", methods: methods, index: TensorMetamethods.index)
        try state.register(TensorMetamethods.functions, into: state.tensorMetatable, qualifier: "", isMethod: false, kind: "Tensor")
        let tensorModule = try state.newTable()
        try state.register(TensorLibrary.functions, into: tensorModule, qualifier: "tensor.", isMethod: false)
        try state.setField(tensorModule, "Tensor", .function(state.keep(methods, type: "table")))
        try state.publish("tensor", table: tensorModule, global: globals)
        return tensorModule
    }

    /// The method tables of the object kinds other than Tensor.
    struct KindTables {
        var module: Int32, dataset: Int32, text: Int32, optimizer: Int32, schedule: Int32, average: Int32, lbfgs: Int32
    }

    private func installKinds() throws -> KindTables {
        let module = try state.installKind(Kind.module, methods: NNLibrary.methods, meta: NNLibrary.meta, index: NNLibrary.index, qualifier: "Module:")
        _ = try state.installKind(Kind.loss, methods: [], meta: NNLibrary.lossMeta, qualifier: "")
        return KindTables(
            module: module,
            dataset: try state.installKind(Kind.dataset, methods: DataLibrary.methods + TextLibrary.datasetMethods, meta: DataLibrary.meta, qualifier: "Dataset:"),
            text: try state.installKind(Kind.text, methods: TextLibrary.methods, meta: TextLibrary.meta, index: TextLibrary.index, qualifier: "Text:"),
            optimizer: try state.installKind(Kind.optimizer, methods: OptimLibrary.methods, meta: OptimLibrary.meta, qualifier: "Optimizer:"),
            schedule: try state.installKind(Kind.schedule, methods: OptimLibrary.scheduleMethods, meta: OptimLibrary.scheduleMeta, qualifier: "Schedule:"),
            average: try state.installKind(Kind.average, methods: OptimLibrary.averageMethods, meta: [], qualifier: "Average:"),
            lbfgs: try state.installKind(Kind.lbfgs, methods: OptimLibrary.lbfgsMethods, meta: [], qualifier: "LBFGS:"))
    }

    /// Each library as a module table (global when `globals`); its primitives
    /// (functions with a public name of their own) go to `primitives`, the
    /// table optlab's Lua files receive, never to a global. Returns the tables by name.
    private func installLibraries(globals: Bool, kinds: KindTables, primitives: Int32) throws -> [String: Int32] {
        let libraries: [(String, [LuaFunction], (class: String, methods: Int32)?)] = [
            ("nn", NNLibrary.functions + NNLibrary.primitives, ("Module", kinds.module)),
            ("data", DataLibrary.functions + TextLibrary.functions + DataLibrary.primitives, ("Dataset", kinds.dataset)),
            ("optim", OptimLibrary.functions + OptimLibrary.primitives, ("Optimizer", kinds.optimizer)),
            ("train", TrainLibrary.functions, nil),
            ("check", CheckLibrary.functions + CheckLibrary.primitives, nil),
            ("monitor", MonitorLibrary.functions + RichForms.functions, nil),
            ("hp", HPLibrary.functions, nil), ("autograd", AutogradLibrary.functions, nil),
            ("stats", StatsLibrary.functions, nil), ("bench", BenchLibrary.primitives, nil)]
        var tables: [String: Int32] = [:]
        for (name, functions, kind) in libraries {
            let table = try state.newTable()
            try state.register(functions.filter { $0.shownAs == nil }, into: table, qualifier: name + ".", isMethod: false)
            let inner = try state.newTable()
            try state.register(functions.filter { $0.shownAs != nil }, into: inner, qualifier: name + ".", isMethod: false)
            try state.setField(primitives, name, .function(state.keep(inner, type: "table")))
            if let kind { try state.setField(table, kind.class, .function(state.keep(kind.methods, type: "table"))) }
            try state.publish(name, table: table, global: globals)
            tables[name] = table
            if name == "train" { state.trainModule = table }
        }
        return tables
    }

    /// The rest of P: the host's answers, the language primitives, and the
    /// classes whose method tables help lists.
    private func installPrimitives(_ primitives: Int32, kinds: KindTables) throws {
        let host = try state.newTable()
        try state.register(BindingState.hostPrimitives, into: host, qualifier: "", isMethod: false)
        try state.setField(primitives, "host", .function(state.keep(host, type: "table")))
        try state.register(BindingState.languagePrimitives, into: primitives, qualifier: "", isMethod: false)
        let classes = try state.newTable()
        for (name, methods) in [("Text", kinds.text), ("Schedule", kinds.schedule), ("Average", kinds.average), ("LBFGS", kinds.lbfgs)] {
            try state.setField(classes, name, .function(state.keep(methods, type: "table")))
        }
        try state.setField(primitives, "classes", .function(state.keep(classes, type: "table")))
        // each function's option keys by its public name; optlab's Lua adds its own (hp.search)
        let options = try state.newTable()
        for (name, keys) in state.optionKeys { try state.setField(options, name, .array(keys.map { .string($0) })) }
        try state.setField(primitives, "option_keys", .function(state.keep(options, type: "table")))
    }

    /// optlab's own Lua, each file its own chunk named after its path; then
    /// the table `require "optlab"` returns, here and from a stock Lua.
    private func loadOwnLua(globals: Bool, primitives: Int32, moduleTables: [String: Int32]) throws {
        let P = LuaValue.function(state.keep(primitives, type: "table"))
        let tables = moduleTables.mapValues { LuaValue.function(state.keep($0, type: "table")) }
        let table = { (name: String) in tables[name] ?? .nil }
        let modules = LuaValue.array(LuaVM.modules.map { name, summary in .array([.string(name), .string(summary), table(name)]) })
        let docs = LuaValue.record(state.docs.map { ($0.0, .string($0.1)) })
        let autograd = try load(chunk: PackageResources.autograd_lua, name: "@optlab/autograd.lua", arguments: [P, table("autograd"), table("tensor")])
        state.installSupport(try load(chunk: PackageResources.module_classes_lua, name: "@optlab/module_classes.lua", arguments: [P, table("nn"), autograd.first ?? .nil]))
        state.installSupport(try load(chunk: PackageResources.optimizers_lua, name: "@optlab/optimizers.lua", arguments: [P, table("optim")]))
        let help = try load(chunk: PackageResources.prelude_lua, name: "@optlab/prelude.lua", arguments: [P, docs, modules, autograd.first ?? .nil])
        if globals {
            try setGlobal("help", help.first ?? .nil)
            try setGlobal("display", help.count > 2 ? help[2] : .nil)
        }
        let S = LuaValue.function(state.keep(try state.newTable(), type: "table"))
        for (file, bytes) in [("trials", PackageResources.trials_lua), ("view", PackageResources.view_lua),
                              ("backends", PackageResources.backends_lua), ("asha", PackageResources.asha_lua)] {
            try load(chunk: bytes, name: "@optlab/search/\(file).lua", arguments: [P, S])
        }
        try load(chunk: PackageResources.search_lua, name: "@optlab/search/search.lua", arguments: [P, S, table("hp"), table("nn"), table("tensor")])
        try load(chunk: PackageResources.stats_lua, name: "@optlab/bench/stats.lua", arguments: [P, table("stats")])
        try load(chunk: PackageResources.train_repeated_lua, name: "@optlab/bench/train_repeated.lua",
                 arguments: [P, table("train"), table("tensor"), table("stats")])
        try loadBench(P, libraries: .record(LuaVM.modules.map { name, _ in (name, table(name)) }), bench: table("bench"))
        let libraryTables = LuaValue.record(LuaVM.modules.map { name, _ in (name, table(name)) })
        moduleTable = try state.newTable()
        let definitions = try load(chunk: PackageResources.definitions_lua, name: "@optlab/definitions.lua")
        try load(chunk: PackageResources.package_lua, name: "@optlab/package.lua",
                 arguments: [.function(state.keep(moduleTable, type: "table")), libraryTables, help.first ?? .nil,
                            help.count > 1 ? help[1] : .nil, help.count > 2 ? help[2] : .nil, .string(optlabVersion), P,
                            help.count > 3 ? help[3] : .nil, definitions.first ?? .nil])
        try state.preload("optlab", table: moduleTable)
    }

    /// bench: the registry, one file per test problem (one line each here), the benchmark and its page.
    private func loadBench(_ P: LuaValue, libraries: LuaValue, bench: LuaValue) throws {
        let B = LuaValue.function(state.keep(try state.newTable(), type: "table"))
        try load(chunk: PackageResources.problems_lua, name: "@optlab/bench/problems.lua", arguments: [P, bench, B, libraries])
        for (file, bytes) in [
            ("quadratic_deep", PackageResources.quadratic_deep_lua),
            ("fashion_mnist", PackageResources.fashion_mnist_lua),
            ("char_transformer", PackageResources.char_transformer_lua),
        ] {
            try load(chunk: bytes, name: "@optlab/bench/problems/\(file).lua", arguments: [P, B, libraries])
        }
        try load(chunk: PackageResources.page_lua, name: "@optlab/bench/page.lua", arguments: [P, B])
        try load(chunk: PackageResources.run_lua, name: "@optlab/bench/run.lua", arguments: [P, bench, B, libraries])
    }
}
