import CLua
import OptLabRuntime

/// The `check` module: the gradient check and the sanity checks before learning.
enum CheckLibrary {
    static let summary = "gradient checks and sanity checks before learning"

    /// A loss at argument i: a loss object, or a Lua function(scores, labels) (labels 1-based).
    static func lossFunction(_ a: LuaArgs, _ i: Int) throws -> (SanityCheck.LossFunction, Loss?) {
        if let box = a.state.object(at: Int32(i), kind: Kind.loss, as: LossBox.self) {
            return ({ try box.loss($0, $1) }, box.loss)
        }
        guard case .function(let ref) = try a.value(i) else { throw a.typeError(i, expected: "loss or function") }
        let state = a.state
        return ({ scores, labels in try state.callLoss(ref, scores, try labels.add(1)) }, nil)
    }

    static func gradOptions(_ o: LuaOptions) throws -> GradCheck.Options {
        var g = GradCheck.Options()
        if case .string(let s)? = o.value("h") {
            guard s == "sweep" else { throw o.args.argumentError(o.index, "option 'h' must be a number or \"sweep\"") }
            g.h = nil
        } else {
            g.h = try o.number("h", default: 1e-5)
        }
        g.perParameter = try o.integer("per_param", default: 10)
        g.seed = UInt64(bitPattern: Int64(try o.integer("seed", default: 0)))
        if let d = try o.record("burn_in", allowed: ["steps", "optimizer"]) {
            guard let steps = d["steps"]?.number, case .object(let opt, kind: Kind.optimizer)? = d["optimizer"], let optimizer = opt as? Optimizer else {
                throw o.args.argumentError(o.index, "option 'burn_in' must be {steps = n, optimizer = opt}")
            }
            g.burnIn = (Int(steps), optimizer)
        }
        return g
    }

    /// The Lua function at argument 1 as a loss: called with no arguments, it returns a one-element tensor.
    static func lossClosure(_ a: LuaArgs, _ name: String) throws -> () throws -> Tensor {
        return {
            let results = try a.call(1, [], results: 1)
            defer { lua_settop(a.L, Int32(a.count) - Int32(results.count)) }
            guard case .argument(let slot)? = results.first, let t = a.state.tensor(at: slot) else {
                throw LuaFaceError(.failed, "the function must return the loss as a tensor", function: name)
            }
            return t
        }
    }

    static func result(_ r: GradCheck.Result) -> LuaValue {
        .record([
            ("ok", .bool(r.ok)), ("inconclusive", .bool(r.inconclusive)), ("worst", .number(r.worst)), ("h", .number(r.h)),
            ("kinks", .bool(r.objectiveHasKinks)),
            ("report", .string(r.description)),
            ("rows", .array(r.rows.map { row in
                .record([("name", .string(row.name)), ("dims", .integer(row.checked)), ("worst", .number(row.worst)),
                         ("analytic", .number(row.analytic)), ("numerical", .number(row.numerical)),
                         ("kinks", .integer(row.kinks)), ("tiny", .integer(row.tiny)), ("verdict", .string(row.verdict.rawValue))])
            })),
            ("sweep", .array(r.sweep.map { .record([("h", .number($0.h)), ("worst", .number($0.worst)), ("compared", .integer($0.compared))]) })),
            ("sweep_choice", r.sweepChoice.map { .string($0) } ?? .nil),
        ])
    }

    static func outcome(_ o: SanityCheck.Outcome) -> LuaValue {
        .record([("ok", .bool(o.passed)), ("name", .string(o.name)), ("detail", .string(o.detail)), ("report", .string(o.description))]
                + o.values.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })
    }

    /// The Swift halves of check.*; the prelude wraps them so results print as reports.
    static let functions: [LuaFunction] = []

    /// `difference = "central"` (two gradients a product, ~1e-10) or `"forward"` (one, ~1e-8).
    static func difference(_ a: LuaArgs, _ o: LuaOptions) throws -> Bool {
        let d = try o.string("difference", default: "central")
        guard d == "central" || d == "forward" else {
            throw a.argumentError(o.index, "option 'difference' must be \"central\" or \"forward\", got \"\(d)\"")
        }
        return d == "forward"
    }

    static let primitives: [LuaFunction] = [
        .primitive("grad", as: "check.grad") { a in
            guard a.type(1) == LUA_TFUNCTION else { throw a.typeError(1, expected: "function") }
            let params = try a.parameters(2)
            let o = try a.options(3, allowed: ["h", "per_param", "seed", "burn_in"])
            let r = try GradCheck.run(params, options: try gradOptions(o)) {
                let results = try a.call(1, [], results: 1)
                defer { lua_settop(a.L, Int32(a.count) - Int32(results.count)) }
                guard case .argument(let slot)? = results.first, let t = a.state.tensor(at: slot) else {
                    throw LuaFaceError(.failed, "the function must return the loss as a tensor", function: "check.grad")
                }
                return t
            }
            return [result(r)]
        },
        .primitive("hvp", as: "check.hvp") { a in
            guard a.type(1) == LUA_TFUNCTION else { throw a.typeError(1, expected: "function") }
            let params = try a.parameters(2)
            let v: [Tensor]
            if let t = try? a.tensor(3) { v = [t] } else { v = try a.parameters(3) }
            let o = try a.options(4, allowed: ["difference"])
            let forward = try difference(a, o)
            let product = try Hessian.measure(params, op: "check.hvp", loss: try lossClosure(a, "check.hvp")) { h in
                h.forward = forward
                return try h.product(v)
            }
            let shaped = try zip(product, params).map { try $0.to($1.dtype) }
            return [.array(shaped.map { .tensor($0) })]
        },
        .primitive("hessian", as: "check.hessian") { a in
            guard a.type(1) == LUA_TFUNCTION else { throw a.typeError(1, expected: "function") }
            let params = try a.parameters(2)
            let o = try a.options(3, allowed: ["top", "trace", "samples", "iters", "tol", "seed", "density", "difference"])
            let forward = try difference(a, o)
            // density = true (4 runs of 60 steps) or {runs =, steps =}
            var densityRuns = 0, densitySteps = 60
            if let d = o.value("density") {
                switch d {
                case .bool(true): densityRuns = 4
                case .bool(false), .nil: break
                case .record(let f):
                    let fields = Dictionary(f, uniquingKeysWith: { x, _ in x })
                    for k in fields.keys where k != "runs" && k != "steps" { throw a.argumentError(3, "option 'density' takes runs and steps, got '\(k)'") }
                    guard let r = fields["runs"].map({ $0.number.flatMap { Int(checked: $0) } }) ?? 4,
                          let m = fields["steps"].map({ $0.number.flatMap { Int(checked: $0) } }) ?? 60 else {
                        throw a.argumentError(3, "option 'density': runs and steps must be whole numbers")
                    }
                    (densityRuns, densitySteps) = (r, m)
                default: throw a.argumentError(3, "option 'density' must be true or {runs =, steps =}, got \(d.typeName)")
                }
            }
            let top = try o.integer("top", default: 1), samples = try o.integer("samples", default: 100)
            let wantsTrace = try o.bool("trace", default: false)
            let seed = UInt64(bitPattern: Int64(try o.integer("seed", default: 0)))
            let r = try Hessian.measure(params, op: "check.hessian", loss: try lossClosure(a, "check.hessian")) { h in
                h.forward = forward
                let spectrum = top > 0 ? try h.top(top, iterations: try o.integer("iters", default: 100), tolerance: try o.number("tol", default: 1e-6), seed: seed) : nil
                let trace = wantsTrace ? try h.trace(samples: samples, seed: seed) : nil
                let density = densityRuns > 0 ? try h.density(runs: densityRuns, steps: densitySteps, seed: seed) : nil
                return HessianReport(spectrum: spectrum, trace: trace, samples: samples, products: h.products, kinked: h.kinkedProducts,
                                     parameters: params.reduce(0) { $0 + $1.count }, density: density)
            }
            var fields: [(String, LuaValue)] = [("products", .integer(r.products)), ("kinked", .integer(r.kinked)), ("report", .string(r.description))]
            if let s = r.spectrum {
                fields += [("eigenvalues", .array(s.eigenvalues.map { .number($0) })), ("residuals", .array(s.residuals.map { .number($0) })),
                           ("iterations", .integer(s.iterations)), ("converged", .bool(s.converged)),
                           ("eigenvectors", .array(try s.eigenvectors.map { u in .array(try zip(u, params).map { .tensor(try $0.to($1.dtype)) }) }))]
            }
            if let t = r.trace { fields += [("trace", .number(t.trace)), ("trace_se", .number(t.standardError)), ("samples", .integer(samples))] }
            if let d = r.density {
                let (grid, values) = d.smoothed()
                fields.append(("density", .record([("nodes", .array(d.nodes.map { .number($0) })), ("weights", .array(d.weights.map { .number($0 / Double(d.runs)) })),
                                                   ("grid", .array(grid.map { .number($0) })), ("values", .array(values.map { .number($0) })),
                                                   ("runs", .integer(d.runs)), ("steps", .integer(d.steps))])))
            }
            return [.record(fields)]
        },
        .primitive("model", as: "check.model") { a in
            let m = try a.module(1)
            let (loss, _) = try lossFunction(a, 2)
            let o = try a.options(5, allowed: ["reg", "h", "per_param", "seed"])
            let (data, reg, notes) = try SanityCheck.model(m, loss: loss, x: try a.tensor(3), y: try a.indices(4, what: "label"),
                                                           reg: try o.number("reg", default: 0), options: try gradOptions(o))
            let report = "data loss (regularization off):\n" + data.description + "\n\nregularization alone:\n" + reg.description
                + (notes.isEmpty ? "" : "\n\n" + notes.map { "note: " + $0 }.joined(separator: "\n"))
            return [.record([("ok", .bool(data.ok && reg.ok)), ("data", result(data)), ("reg", result(reg)),
                             ("notes", .array(notes.map { .string($0) })), ("report", .string(report))])]
        },
        .primitive("initial_loss", as: "check.initial_loss") { a in
            let m = try a.module(1)
            let (loss, kind) = try lossFunction(a, 2)
            let y = try a.indices(4, what: "label")
            let classes = try a.integer(5, default: Int(try y.max().item()) + 1)
            return [outcome(try SanityCheck.initialLoss(m, loss: loss, kind: kind, x: try a.tensor(3), y: y, classes: classes))]
        },
        .primitive("regularization", as: "check.regularization") { a in
            let (loss, _) = try lossFunction(a, 2)
            return [outcome(try SanityCheck.regularization(try a.module(1), loss: loss, x: try a.tensor(3), y: try a.indices(4, what: "label")))]
        },
        .primitive("overfit", as: "check.overfit") { a in
            let (loss, _) = try lossFunction(a, 2)
            let o = try a.options(5, allowed: ["n", "steps", "lr"])
            let n = try o.integer("n", default: 20)
            let x = try a.tensor(3), y = try a.indices(4, what: "label")
            let k = Swift.min(n, x.shape.first ?? 0)
            return [outcome(try SanityCheck.overfit(try a.module(1), loss: loss, x: try x.narrow(dim: 0, start: 0, length: k),
                                                    y: try y.narrow(dim: 0, start: 0, length: k), steps: try o.integer("steps", default: 300),
                                                    learningRate: try o.number("lr", default: 1e-2)))]
        },
    ]
}
