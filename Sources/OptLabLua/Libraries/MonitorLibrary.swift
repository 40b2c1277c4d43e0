import Foundation
import CLua
import OptLabCharts
import OptLabRuntime

/// The `monitor` module: looking at training, in the terminal and as files.
enum MonitorLibrary {
    /// monitor.plot's table: every key holding a list of numbers is a series,
    /// but x (the points' x values); the others must be its options. Returns
    /// the plot, its title and the SVG file asked for.
    static func plotSpec(_ a: LuaArgs, _ i: Int) throws -> (TerminalPlot, String, String?) {
        guard case .record(let pairs) = try a.state.read(Int32(i), depth: 0, asRecord: true) else { throw a.typeError(i, expected: "table") }
        let optionKeys = ["log", "logx", "width", "height", "epochs", "colors", "file", "title", "xlabel"]
        var series: [(name: String, values: [Double])] = []
        var opts: [String: LuaValue] = [:]
        var xs: [Double]?
        for (k, v) in pairs.sorted(by: { $0.0 < $1.0 }) {
            if optionKeys.contains(k) { opts[k] = v; continue }
            guard case .array = v else {
                throw LuaFaceError(.failed, OptionNames.unknown(k, allowed: optionKeys + ["x"]) + " (a series is a list of numbers)")
            }
            if k == "x" { xs = try doubles(v, a, k) } else { series.append((k, try doubles(v, a, k))) }
        }
        if let xs, let bad = series.first(where: { $0.values.count != xs.count }) {
            throw a.argumentError(i, "x has \(xs.count) values but series '\(bad.name)' has \(bad.values.count)")
        }
        func num(_ k: String, _ d: Double) -> Double { opts[k]?.number ?? d }
        func flag(_ k: String) -> Bool { if case .bool(true)? = opts[k] { return true }; return false }
        var plot = try TerminalPlot(series: series, logY: flag("log"), epochs: xs == nil ? opts["epochs"]?.number : nil,
                                    width: Int(num("width", 60)), height: Int(num("height", 15)), colors: flag("colors"))
        plot.xValues = xs
        plot.logX = flag("logx")
        plot.xLabel = opts["xlabel"]?.string
        return (plot, opts["title"]?.string ?? series.map(\.name).joined(separator: ", "), opts["file"]?.string)
    }

    /// A plot as SVG: against its x values through `Chart` (log axes, nice ticks), else as `SVGPlot` draws it.
    static func svg(_ plot: TerminalPlot, title: String, yLabel: String? = nil) throws -> String {
        guard let xs = plot.xValues else {
            var p = try SVGPlot(title: title, series: plot.series, logY: plot.logY, epochs: plot.epochs)
            p.xLabel = plot.xLabel
            return p.svg
        }
        var c = Chart(title: title, xLabel: plot.xLabel ?? "x", yLabel: yLabel ?? (plot.series.count == 1 ? plot.series[0].name : "value"))
        c.logX = plot.logX
        c.logY = plot.logY
        c.series = plot.series.enumerated().map { i, s in
            Chart.Series(s.name, zip(xs, s.values).filter { $0.0.isFinite && $0.1.isFinite }.map { ($0.0, $0.1) }, color: Chart.palette[i % Chart.palette.count])
        }
        c.width = 640
        return c.svg
    }

    /// `workers = N` (with `backend = "local" | "slurm"`, `sbatch = {args}`): how many processes evaluate a grid
    /// elsewhere, or nil to evaluate it here (no workers, or one local worker).
    static func workers(_ a: LuaArgs, _ o: LuaOptions) throws -> (workers: Int, backend: LandscapeWorkers.Backend)? {
        let workers = try o.integer("workers", default: 1)
        guard (1...1024).contains(workers) else { throw a.argumentError(1, "workers must be 1…1024, got \(workers)") }
        let sbatch: [String]
        switch o.value("sbatch") {
        case nil, .nil?: sbatch = []
        case .array(let items)?: sbatch = try items.map { guard let s = $0.string else { throw a.argumentError(1, "sbatch must be a list of strings (sbatch's options)") }; return s }
        case let v?: throw a.argumentError(1, "sbatch must be a list of strings (sbatch's options), got \(v.typeName)")
        }
        switch try o.string("backend", default: "local") {
        case "local":
            if !sbatch.isEmpty { throw a.argumentError(1, "sbatch is for backend = \"slurm\"") }
            return workers > 1 ? (workers, .local) : nil
        case "slurm": return (workers, .slurm(sbatch: sbatch))
        case let other: throw a.argumentError(1, "backend must be \"local\" or \"slurm\", got \"\(other)\"")
        }
    }

    static let summary = "histograms, layer statistics, update ratios, plots, diagnosis, weight images"

    static func doubles(_ v: LuaValue?, _ a: LuaArgs, _ key: String) throws -> [Double] {
        switch v {
        case .array(let items)?: return try items.map { guard let n = $0.number else { throw a.argumentError(1, "series '\(key)' must hold numbers") }; return n }
        case .tensor(let t)?: return t.toDoubles()
        default: throw a.argumentError(1, "series '\(key)' must be a table of numbers or a tensor")
        }
    }

    /// The plane's loss as a heat map (α across, β up), with a path (a
    /// trajectory's checkpoints, joined in order) drawn over it.
    static func planeSVG(_ plane: Landscape.Plane, path: [(alpha: Double, beta: Double)]) -> String {
        let flat = plane.values.flatMap { $0 }
        let lo = flat.filter(\.isFinite).min() ?? 0, hi = flat.filter(\.isFinite).max() ?? 1
        let n = plane.alphas.count, cell = 12.0
        let side = n * 12 + 40  // (n: the grid, at most 201 a side)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Swift.max(side, 460))\" height=\"\(side)\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<text x=\"4\" y=\"14\">loss on the plane (α across, β up), \(String(format: "%.4g", lo)) dark … \(String(format: "%.4g", hi)) light</text>"
        for (i, row) in plane.values.enumerated() {
            for (j, v) in row.enumerated() {
                let u = v.isFinite && hi > lo ? (v - lo) / (hi - lo) : 1
                let g = Int(255 * u.squareRoot())
                svg += "<rect x=\"\(20 + Double(i) * cell)\" y=\"\(20 + Double(n - 1 - j) * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(g / 3),\(g / 2 + 40),\(g))\"/>"
            }
        }
        if !path.isEmpty, let a0 = plane.alphas.first, let a1 = plane.alphas.last, a1 > a0 {
            // a grid point's cell centre is at 20 + (i + ½)·cell; α = a0 + i·(a1 − a0)/(n − 1)
            func x(_ a: Double) -> Double { 20 + ((a - a0) / (a1 - a0) * Double(n - 1) + 0.5) * cell }
            func y(_ b: Double) -> Double { 20 + (Double(n - 1) - (b - a0) / (a1 - a0) * Double(n - 1) + 0.5) * cell }
            let points = path.map { String(format: "%.1f,%.1f", x($0.alpha), y($0.beta)) }.joined(separator: " ")
            svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>"
            for (k, p) in path.enumerated() {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%@\" fill=\"%@\"><title>checkpoint %d</title></circle>", x(p.alpha), y(p.beta),
                              k == path.count - 1 ? "4" : "2.5", k == path.count - 1 ? "#ffffff" : "#d62728", k + 1)
            }
        }
        return svg + "</svg>"
    }

    static let functions: [LuaFunction] = [
        .primitive("hist", as: "monitor.hist") { a in
            let tensor = a.state.tensor(at: 1)
            let values = tensor == nil ? try doubles(try a.value(1), a, "values") : []
            let o = try a.options(2, allowed: ["bins", "range"])
            var range: (Double, Double)?
            if case .array(let r)? = o.value("range"), r.count == 2, let lo = r[0].number, let hi = r[1].number { range = (lo, hi) }
            let bins = try o.integer("bins", default: 20)
            let h = try tensor.map { try Histogram($0, bins: bins, range: range) } ?? Histogram(values, bins: bins, range: range)
            return [.record([("counts", .array(h.counts.map { .integer($0) })), ("edges", .array(h.edges.map { .number($0) })),
                             ("excluded", .integer(h.excluded)), ("report", .string(h.description))])]
        },
        LuaFunction("watch", "monitor.watch(model [, on=true])", """
        From the next forward pass on, a Sequential keeps each layer's output and its
        gradient, for monitor.layers. (train.fit watches the model it trains.)
        """) { a in
            guard let s = try a.module(1) as? Sequential else { throw a.argumentError(1, "monitor.watch needs an nn.Sequential") }
            s.watch(try a.bool(2, default: true))
            return []
        },
        .primitive("layers", as: "monitor.layers") { a in
            guard let s = try a.module(1) as? Sequential else { throw a.argumentError(1, "monitor.layers needs an nn.Sequential") }
            let st = try LayerStatistics(s)
            return [.record([("report", .string(st.description)), ("rows", .array(st.rows.map { r in
                .record([("layer", .string(r.layer)), ("mean", .number(r.mean)), ("std", .number(r.std)),
                         ("saturated", r.saturated.map { .number($0) } ?? .nil), ("dead", r.dead.map { .number($0) } ?? .nil),
                         ("grad_mean", r.gradientMean.map { .number($0) } ?? .nil), ("grad_std", r.gradientStd.map { .number($0) } ?? .nil),
                         ("flags", .array(r.flags.map { .string($0) })),
                         ("counts", .array(r.histogram.counts.map { .integer($0) })), ("edges", .array(r.histogram.edges.map { .number($0) }))])
            })), ("depth_trend", st.depthTrend.map { .string($0) } ?? .nil)])]
        },
        .primitive("ratios", as: "monitor.ratios") { a in
            let r = try UpdateRatios(try a.optimizer(1))
            return [.record([("report", .string(r.description)), ("ratios", .record(r.rows.map { ($0.name, .number($0.ratio)) })),
                             ("advice", .record(r.rows.map { ($0.name, .string($0.advice)) }))])]
        },
        .primitive("noise_scale", as: "monitor.noise_scale") { a in
            let model = try a.module(1)
            let (loss, _) = try CheckLibrary.lossFunction(a, 2)
            let data = try a.dataset(3)
            let o = try a.options(4, allowed: ["small", "big", "steps", "seed"])
            let e = try NoiseScale.estimate(model: model, loss: loss, data: data, small: try o.integer("small", default: 32),
                                            big: try o.integer("big", default: 512), steps: try o.integer("steps", default: 20),
                                            seed: UInt64(bitPattern: Int64(try o.integer("seed", default: 0))))
            return [.record([("b_simple", .number(e.bSimple)), ("b_simple_se", .number(e.standardError)), ("trace_sigma", .number(e.traceSigma)),
                             ("grad_sq", .number(e.gradientSquared)), ("small", .integer(e.small)), ("big", .integer(e.big)),
                             ("steps", .integer(e.steps)), ("report", .string(e.description))])]
        },
        .primitive("grad_norms", as: "monitor.grad_norms") { a in
            let model = try a.module(1)
            let (loss, _) = try CheckLibrary.lossFunction(a, 2)
            let data = try a.dataset(3)
            let o = try a.options(4, allowed: ["method"])
            let method: PerExampleGradients.Method?
            switch try o.string("method", default: "auto") {
            case "auto": method = nil
            case "linear": method = .linear
            case "loop": method = .loop
            case let m: throw a.argumentError(4, "option 'method' must be \"auto\", \"linear\" or \"loop\", got \"\(m)\"")
            }
            guard data.count >= 2 else { throw a.argumentError(3, "need a data set of at least 2 examples, got \(data.count)") }
            let batch = try data.batch(0, of: data.fixedOrder, size: data.count)
            let r = try PerExampleGradients.measure(model: model, loss: loss, inputs: batch.inputs, targets: batch.labels, method: method)
            return [.record([("norms", .array(r.norms.map { .number($0) })), ("method", .string(r.method == .linear ? "linear" : "loop")),
                             ("batch_grad_norm", .number(r.batchGradientSquared.squareRoot())), ("trace_sigma", .number(r.traceSigma)),
                             ("grad_sq", .number(r.gradientSquared)), ("b_simple", .number(r.bSimple)), ("report", .string(r.description))])]
        },
        .primitive("landscape", as: "monitor.landscape") { a in
            let o = try a.options(1, allowed: ["model", "loss", "data", "params", "between", "trajectory", "points", "grid", "span", "seed", "file",
                                               "workers", "backend", "sbatch", "dir", "log"])
            let op = "monitor.landscape"
            // what is measured: the model's mean loss over data, or a Lua function of params
            let parameters: [Tensor], evaluate: () throws -> Double, model: Module?
            if case .object(let m as Module, kind: Kind.module)? = o.value("model") {
                guard case .object(let d as DatasetBox, kind: Kind.dataset)? = o.value("data") else { throw a.argumentError(1, "option 'data' (a data set) is required with a model") }
                let lossFunction = try TrainLibrary.loss(a, o).0
                (parameters, model) = (m.parameters(), m)
                // a thousand examples a pass (the batches a landscape job sends its workers)
                let batches = try d.data.batches(size: 1000)
                evaluate = { try LandscapeJob.meanLoss(m, lossFunction, batches) }
            } else if case .function(let ref)? = o.value("loss") {
                guard case .array(let items)? = o.value("params") else { throw a.argumentError(1, "give model = and data =, or params = {tensors} with loss = function() ... end") }
                parameters = try items.map { guard let t = $0.tensor else { throw a.argumentError(1, "params must hold tensors") }; return t }
                let state = a.state
                evaluate = { try state.callScalar(ref, op: op) }
                model = nil
            } else {
                throw a.argumentError(1, "give model =, loss = and data =, or params = {tensors} with loss = function() ... end")
            }
            guard !parameters.isEmpty else { throw a.argumentError(1, "there are no parameters to move") }
            func set(_ v: LuaValue, _ k: Int) throws -> [Tensor] {
                switch v {
                case .object(let m as Module, kind: Kind.module): return m.parameters()
                case .string(let path): return try Module.load(from: path).model.parameters()
                case .array(let items): return try items.map { guard let t = $0.tensor else { throw a.argumentError(1, "between[\(k)] must hold tensors") }; return t }
                default: throw a.argumentError(1, "between[\(k)] must be a model, a checkpoint's path or a list of tensors, got \(v.typeName)")
                }
            }
            let mode = model?.isTraining
            model?.evaluate()
            defer { if let mode { model?.train(mode) } }
            if let between = o.value("between"), !between.isNil {
                if try workers(a, o) != nil { throw a.argumentError(1, "workers evaluate 2-D grids (grid =); a line's points are evaluated here") }
                guard case .array(let ends) = between, ends.count == 2 else { throw a.argumentError(1, "between must be {a, b}") }
                let line = try Landscape.line(parameters: parameters, from: try set(ends[0], 1), to: try set(ends[1], 2),
                                              points: try o.integer("points", default: 25), loss: evaluate)
                var plot = try TerminalPlot(series: [("loss", line.values)], width: 60, height: 12)
                plot.xValues = line.alphas
                plot.xLabel = "α (0: a, 1: b)"
                let picture = try svg(plot, title: "loss between a and b")
                if let file = o.value("file")?.string { try AtomicFile.write(Array(picture.utf8), to: file, op: op) }
                let summary = String(format: "loss from a (α = 0) to b (α = 1), %d points: %.4g → %.4g, barrier %.4g", line.values.count,
                                     line.values.first ?? .nan, line.values.last ?? .nan, line.barrier)
                let report = summary + "\n" + plot.description
                if let dir = o.value("log")?.string {
                    try RunFolder.writeMeasurement(.line, into: dir, record: [
                        "summary": summary, "svg": picture, "alphas": RunFolder.jsonNumbers(line.alphas), "values": RunFolder.jsonNumbers(line.values),
                        "barrier": line.barrier.isFinite ? line.barrier : NSNull()], op: op)
                }
                return [.record([("alphas", .array(line.alphas.map { .number($0) })), ("values", .array(line.values.map { .number($0) })),
                                 ("barrier", .number(line.barrier)), ("report", .string(report)), ("svg", .string(picture))])]
            }
            // the plane: through the trajectory's end along its two principal directions, or around the point along random ones
            var trajectory: Landscape.Trajectory?
            let centre: [Tensor], d1: [Tensor], d2: [Tensor], span: Double
            if let t = o.value("trajectory"), !t.isNil {
                guard case .array(let items) = t else { throw a.argumentError(1, "trajectory must be a list of checkpoints (models, paths or lists of tensors)") }
                let sets = try items.enumerated().map { try set($1, $0 + 1) }
                let tr = try Landscape.trajectory(sets, like: parameters)
                trajectory = tr
                (centre, d1, d2) = (try sets.last!.map { try $0.detach().clone() }, tr.directions.first, tr.directions.second)
                let reach = tr.path.map { Swift.max(Swift.abs($0.alpha), Swift.abs($0.beta)) }.max() ?? 1
                span = o.has("span") ? try o.number("span", default: 1) : Swift.max(1.25 * reach, 1e-12)
            } else {
                let generator = Generator(seed: UInt64(bitPattern: Int64(try o.integer("seed", default: 0))))
                centre = try parameters.map { try $0.detach().clone() }
                d1 = try Landscape.randomDirection(like: centre, generator: generator)
                d2 = try Landscape.randomDirection(like: centre, generator: generator)
                span = try o.number("span", default: 1)
            }
            let grid = try o.integer("grid", default: 21)
            let plane: Landscape.Plane, rowsHere: [Int]?, started = ContinuousClock.now
            if let spread = try workers(a, o) {
                // the same grid in other processes: the model, the loss and the batches go to them in a job folder
                guard case .object(let m as Module, kind: Kind.module)? = o.value("model"), case .object(let d as DatasetBox, kind: Kind.dataset)? = o.value("data"),
                      case .object(let l as LossBox, kind: Kind.loss)? = o.value("loss") else {
                    throw a.argumentError(1, "workers need model =, data = and a built-in loss = (a Lua function cannot be sent to another process)")
                }
                if let why = LandscapeJob.unsendable(model: m, loss: l.loss) { throw a.argumentError(1, "workers cannot evaluate this grid: \(why); leave workers out to evaluate it here") }
                guard let command = a.state.host?.landscapeWorkerCommand() else {
                    throw a.argumentError(1, "this program cannot start worker processes (its LuaHost gives no landscapeWorkerCommand); leave workers out")
                }
                let job = LandscapeJob(model: m, loss: l.loss, batches: try d.data.batches(size: 1000), centre: centre, d1: d1, d2: d2,
                                       axis: try Landscape.axis(grid: grid, span: span))
                let outcome = try LandscapeWorkers.plane(job, workers: spread.workers, backend: spread.backend, dir: o.value("dir")?.string, command: command)
                plane = Landscape.Plane(alphas: job.axis, betas: job.axis, values: outcome.values)
                rowsHere = outcome.rowsHere
            } else {
                if o.has("dir") { throw a.argumentError(1, "dir is the job folder of workers = N (N > 1, or backend = \"slurm\")") }
                plane = try Landscape.plane(parameters: parameters, centre: centre, directions: d1, d2, grid: grid, span: span, loss: evaluate)
                rowsHere = nil
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let picture = planeSVG(plane, path: trajectory?.path ?? [])
            if let file = o.value("file")?.string { try AtomicFile.write(Array(picture.utf8), to: file, op: op) }
            let flat = plane.values.flatMap { $0 }
            let along = trajectory.map { t in String(format: "the trajectory's two principal directions (%.1f%% and %.1f%% of its offsets from the end)", 100 * t.explained.first, 100 * t.explained.second) }
                ?? "filter-normalised random directions"
            let report = String(format: "loss on a %d×%d grid around the point (%@, span %g): centre %.4g, least %.4g, largest %.4g",
                                plane.alphas.count, plane.betas.count, along, plane.alphas.last ?? 0, plane.values[plane.alphas.count / 2][plane.betas.count / 2],
                                flat.min() ?? .nan, flat.max() ?? .nan)
                + (rowsHere.map { $0.isEmpty ? "" : "\n\($0.count) of \(plane.alphas.count) rows were evaluated here: their worker ended without them" } ?? "")
            var fields: [(String, LuaValue)] = [("alphas", .array(plane.alphas.map { .number($0) })), ("betas", .array(plane.betas.map { .number($0) })),
                                                ("values", .array(plane.values.map { .array($0.map { .number($0) }) })), ("report", .string(report)),
                                                ("svg", .string(picture)), ("seconds", .number(seconds))]
            if let dir = o.value("log")?.string {
                var record: [String: Any] = ["summary": report, "svg": picture, "alphas": RunFolder.jsonNumbers(plane.alphas),
                                             "values": plane.values.map(RunFolder.jsonNumbers), "seconds": seconds]
                if let t = trajectory { record["explained"] = [t.explained.first, t.explained.second] }
                try RunFolder.writeMeasurement(.plane, into: dir, record: record, op: op)
            }
            if let rowsHere { fields.append(("rows_here", .array(rowsHere.map { .integer($0 + 1) }))) }
            if let t = trajectory {
                fields += [("path", .array(t.path.map { .array([.number($0.alpha), .number($0.beta)]) })),
                           ("explained", .array([.number(t.explained.first), .number(t.explained.second)])),
                           ("directions", .array([.array(t.directions.first.map { .tensor($0) }), .array(t.directions.second.map { .tensor($0) })]))]
            }
            return [.record(fields)]
        },
        .primitive("plot", as: "monitor.plot") { a in
            let (plot, title, file) = try plotSpec(a, 1)
            if let file { try AtomicFile.write(Array(try svg(plot, title: title).utf8), to: file, op: "monitor.plot") }
            return [.string(plot.description)]
        },
        .primitive("diagnose", as: "monitor.diagnose") { a in
            guard case .record(let pairs) = try a.state.read(1, depth: 0, asRecord: true) else { throw a.typeError(1, expected: "history table") }
            let d = Dictionary(pairs, uniquingKeysWith: { x, _ in x })
            func series(_ k: String) throws -> [Double] { if let v = d[k] { return try doubles(v, a, k) }; return [] }
            let f = Diagnosis.diagnose(loss: try series("loss"), trainAccuracy: try series("train_acc"), validationAccuracy: try series("val_acc"),
                                       updateRatios: try series("update_ratio"))
            return [.record([("findings", .array(f.map { .record([("kind", .string($0.kind.rawValue)), ("message", .string($0.message))]) })),
                             ("report", .string(f.map { "• " + $0.message }.joined(separator: "\n")))])]
        },
        .primitive("weights", as: "monitor.weights") { a in
            // (prelude.lua wraps it: the result shows as the image in a notebook)
            let m = try a.module(1)
            let o = try a.options(2, allowed: ["file", "scale", "max_tiles"])
            let scale = try o.integer("scale", default: 2), maxTiles = try o.integer("max_tiles", default: 256)
            let image = try WeightImage.render(m, scale: scale, maxTiles: maxTiles)
            if o.has("file") { try AtomicFile.write(image.png, to: try o.string("file", default: ""), op: "monitor.weights") }
            return [.integer(image.width), .integer(image.height), .integer(scale), .integer(maxTiles)]
        },
    ]
}
