import CLua
import OptLabCharts
import OptLabRuntime

/// The `monitor` module: looking at training, in the terminal and as files.
enum MonitorLibrary {
    static let summary = "histograms, layer statistics, update ratios, plots, diagnosis, weight images"

    static func doubles(_ v: LuaValue?, _ a: LuaArgs, _ key: String) throws -> [Double] {
        switch v {
        case .array(let items)?: return try items.map { guard let n = $0.number else { throw a.argumentError(1, "series '\(key)' must hold numbers") }; return n }
        case .tensor(let t)?: return t.toDoubles()
        default: throw a.argumentError(1, "series '\(key)' must be a table of numbers or a tensor")
        }
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
        .primitive("plot", as: "monitor.plot") { a in
            // Every key is a series, except the options below.
            guard case .record(let pairs) = try a.state.read(1, depth: 0, asRecord: true) else { throw a.typeError(1, expected: "table") }
            let optionKeys: Set<String> = ["log", "width", "height", "epochs", "colors", "file", "title"]
            var series: [(name: String, values: [Double])] = []
            var opts: [String: LuaValue] = [:]
            for (k, v) in pairs.sorted(by: { $0.0 < $1.0 }) {
                if optionKeys.contains(k) { opts[k] = v } else { series.append((k, try doubles(v, a, k))) }
            }
            func num(_ k: String, _ d: Double) -> Double { opts[k]?.number ?? d }
            let epochs = opts["epochs"]?.number
            let plot = try TerminalPlot(series: series, logY: { if case .bool(true)? = opts["log"] { return true }; return false }(),
                                        epochs: epochs,
                                        width: Int(num("width", 60)), height: Int(num("height", 15)),
                                        colors: { if case .bool(true)? = opts["colors"] { return true }; return false }())
            if case .string(let path)? = opts["file"] {
                let svg = try SVGPlot(title: opts["title"]?.string ?? series.map(\.name).joined(separator: ", "), series: series,
                                      logY: plot.logY, epochs: plot.epochs)
                try svg.write(to: path)
            }
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
