import Foundation

/// A 2-D landscape grid handed to other processes: a folder holding the
/// model (a checkpoint that rebuilds it), the loss by name and settings, the
/// batches the loss is averaged over, the centre and the two directions, and
/// the axis. Each process evaluates the rows it is given and writes each row
/// as `row-<i>.txt` (atomically, so a row is there whole or not at all); the
/// process that wrote the job reads them back. A row is the same loss at the
/// same points as in process: the same tensors, the same batches, the same
/// arithmetic (`Landscape.row`).
public struct LandscapeJob {
    public let model: Module
    public let loss: Loss
    public let batches: [(inputs: Tensor, labels: Tensor)]
    public let centre: [Tensor], d1: [Tensor], d2: [Tensor]
    public let axis: [Double]

    static let op = "monitor.landscape"

    public init(model: Module, loss: Loss, batches: [(inputs: Tensor, labels: Tensor)], centre: [Tensor], d1: [Tensor], d2: [Tensor], axis: [Double]) {
        (self.model, self.loss, self.batches, self.centre, self.d1, self.d2, self.axis) = (model, loss, batches, centre, d1, d2, axis)
    }

    /// Why a model or a loss cannot go to another process, or nil when both can.
    public static func unsendable(model: Module, loss: Loss) -> String? {
        if !model.isBuiltIn {
            return "the model has modules defined in Lua, which another process cannot rebuild (it runs no code from files)"
        }
        if lossName(loss) == nil { return "the loss \(loss.name) cannot be rebuilt from its name and settings" }
        return nil
    }

    /// The registered kind that rebuilds `loss` from its settings.
    static func lossName(_ loss: Loss) -> String? {
        Losses.all.first { kind in
            (try? kind.make(ConstructorArguments(layer: kind.name, numbers: loss.rule.config))) == loss
        }?.name
    }

    /// The mean loss over the batches, weighted by their sizes (each batch's loss is a mean).
    public static func meanLoss(_ model: Module, _ loss: (Tensor, Tensor) throws -> Tensor, _ batches: [(inputs: Tensor, labels: Tensor)]) throws -> Double {
        var total = 0.0, seen = 0
        for b in batches {
            let n = b.inputs.shape[0]
            let l = try loss(try model(b.inputs), b.labels)
            guard l.count == 1 else { throw RuntimeError(.shape, op, "the loss must be one number, got shape \(describe(l.shape))") }
            total += try l.item() * Double(n)
            seen += n
        }
        return total / Double(Swift.max(seen, 1))
    }

    static func modelPath(_ dir: String) -> String { dir + "/model.safetensors" }
    static func jobPath(_ dir: String) -> String { dir + "/job.safetensors" }
    public static func rowPath(_ dir: String, _ i: Int) -> String { dir + "/row-\(i).txt" }

    /// Writes the job into `dir` (made if missing); rows already there are removed.
    public func write(to dir: String) throws {
        guard let lossName = LandscapeJob.lossName(loss) else { throw RuntimeError(.argument, LandscapeJob.op, "the loss \(loss.name) cannot be sent to another process") }
        try RunFolder.makeDirectories(dir, op: LandscapeJob.op)
        for i in axis.indices { try? FileManager.default.removeItem(atPath: LandscapeJob.rowPath(dir, i)) }
        try model.save(to: LandscapeJob.modelPath(dir))
        var tensors: [(name: String, tensor: Tensor)] = []
        for (k, (c, (a, b))) in zip(centre, zip(d1, d2)).enumerated() {
            tensors += [("centre.\(k)", c), ("d1.\(k)", a), ("d2.\(k)", b)]
        }
        for (k, b) in batches.enumerated() { tensors += [("batch.\(k).inputs", b.inputs), ("batch.\(k).labels", b.labels)] }
        let config = String(decoding: try JSONSerialization.data(withJSONObject: loss.rule.config, options: [.sortedKeys]), as: UTF8.self)
        let axisText = String(decoding: try JSONSerialization.data(withJSONObject: axis), as: UTF8.self)
        try SafeTensors.save(tensors, metadata: ["loss": lossName, "loss_config": config, "axis": axisText,
                                                 "parameters": String(centre.count), "batches": String(batches.count)], to: LandscapeJob.jobPath(dir))
    }

    /// Reads the job `write(to:)` left in `dir`.
    public static func read(from dir: String) throws -> LandscapeJob {
        let model = try Module.load(from: modelPath(dir)).model
        let file = try SafeTensors.load(jobPath(dir))
        func bad(_ why: String) -> RuntimeError { RuntimeError(.format, op, "\(jobPath(dir)) is not a landscape job: \(why)") }
        let m = file.metadata
        guard let name = m["loss"], let kind = Losses.registry.named(name) else { throw bad("no loss it knows") }
        guard let configData = m["loss_config"]?.data(using: .utf8), let config = try? JSONSerialization.jsonObject(with: configData) as? [String: Double],
              let axisData = m["axis"]?.data(using: .utf8), let axis = try? JSONSerialization.jsonObject(with: axisData) as? [Double],
              let count = m["parameters"].flatMap(Int.init), let batchCount = m["batches"].flatMap(Int.init) else { throw bad("its metadata is incomplete") }
        let loss = try kind.make(ConstructorArguments(layer: name, numbers: config))
        let tensors = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        func tensor(_ key: String) throws -> Tensor { guard let t = tensors[key] else { throw bad("it lacks \(key)") }; return t }
        let centre = try (0..<count).map { try tensor("centre.\($0)") }
        let d1 = try (0..<count).map { try tensor("d1.\($0)") }, d2 = try (0..<count).map { try tensor("d2.\($0)") }
        let batches = try (0..<batchCount).map { (inputs: try tensor("batch.\($0).inputs"), labels: try tensor("batch.\($0).labels")) }
        guard model.parameters().count == count else { throw bad("\(count) parameter tensors for a model with \(model.parameters().count)") }
        return LandscapeJob(model: model, loss: loss, batches: batches, centre: centre, d1: d1, d2: d2, axis: axis)
    }

    /// Row i of the grid: the loss at centre + axis[i]·d1 + β·d2 for every β of the axis,
    /// in evaluation mode; the model's parameters and mode are put back.
    public func row(_ i: Int) throws -> [Double] {
        guard axis.indices.contains(i) else { throw RuntimeError(.argument, LandscapeJob.op, "row \(i + 1) is outside the grid's \(axis.count) rows") }
        let (model, loss, mode) = (self.model, self.loss, self.model.isTraining)
        model.evaluate()
        defer { model.train(mode) }
        // (the model may be the caller's: its parameters are put back)
        return try Landscape.restoring(model.parameters()) {
            try Landscape.row(parameters: model.parameters(), centre: centre, directions: d1, d2, alpha: axis[i], betas: axis) {
                try LandscapeJob.meanLoss(model, { try loss($0, $1) }, batches)
            }
        }
    }

    /// Evaluates rows `part`, `part + of`, `part + 2·of`, … that `dir` lacks, writing each when done.
    public static func work(_ dir: String, part: Int, of parts: Int) throws {
        guard parts > 0, (0..<parts).contains(part) else { throw RuntimeError(.argument, op, "part \(part) of \(parts)") }
        let job = try read(from: dir)
        for i in stride(from: part, to: job.axis.count, by: parts) where readRow(dir, i, count: job.axis.count) == nil {
            let values = try job.row(i)
            // one number a line as Swift prints it: the shortest text that reads back to the same bits (nan and inf included)
            try AtomicFile.write(Array(values.map { "\($0)\n" }.joined().utf8), to: rowPath(dir, i), op: op)
        }
    }

    /// Row i as written, or nil when it is not there (yet) or not a whole row.
    public static func readRow(_ dir: String, _ i: Int, count: Int) -> [Double]? {
        guard let data = FileManager.default.contents(atPath: rowPath(dir, i)) else { return nil }
        let values = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Double($0) }
        return values.count == count ? values : nil
    }
}
