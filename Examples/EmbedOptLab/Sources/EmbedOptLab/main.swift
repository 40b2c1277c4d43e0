// A Swift tool that embeds optlab's Lua runtime, as a user's would: an actor
// owns the LuaVM (one Lua state, one thread at a time); the host hands Lua
// its data straight from Swift buffers, registers typed Swift functions,
// runs a Lua experiment, reads typed results back, and decides where
// print, training progress and a search's live table go.
// Each step checks its result; any mismatch exits non-zero.
import Foundation
import OptLabLua
import OptLabRuntime
import Synchronization

/// What the host shows of a search: the live table's frames, kept.
final class RecordingHost: LuaHost {
    var frames: [[String]] = []
    func liveTableSize() -> (rows: Int, columns: Int)? { (20, 100) }
    func drawLiveTable(_ lines: [String], replacing previous: Int) { frames.append(lines) }
    // startSearchWorker is left to its default: asking for workers is a clear error.
}

/// What Lua printed; print may run wherever the VM runs, so it is locked.
final class PrintedLines: Sendable {
    let lines = Mutex<[String]>([])
}

/// The lab: the VM and everything that touches it, on one actor.
actor Lab {
    let vm: LuaVM
    let host = RecordingHost()
    let printed = PrintedLines()
    var progressEvents = 0

    init() throws {
        vm = try LuaVM()
        vm.host = host
        let printed = self.printed
        try vm.capturePrint { line in printed.lines.withLock { $0.append(line) } }
        try vm.register("host_scale", help: "host_scale(x): the host's scale factor times x") { (x: Double) -> Double in x * 10 }
        try vm.register("host_frame", help: "host_frame(i): frame i from the host's camera") { (i: Int) -> Tensor in
            guard (1...4).contains(i) else { throw LuaError(message: "no frame \(i) (the camera has frames 1 to 4)") }
            return try Tensor(shape: [1, 8], (0..<8).map { Float(i * 8 + $0) / 40 })
        }
    }

    func watchTraining() {
        vm.trainingProgress = { [unowned self] p in
            if p.event == .epoch { self.assumeIsolated { $0.progressEvents += 1 } }
        }
    }

    func run() throws -> [String] {
        var report: [String] = []
        func check(_ ok: Bool, _ what: String) throws {
            guard ok else { throw LuaError(message: "check failed: \(what)") }
        }

        // 1. Data from Swift buffers, one copy each way.
        let pixels: [Float] = (0..<64).map { Float($0 % 16) / 15 }
        let images = try pixels.withUnsafeBufferPointer { try Tensor(shape: [8, 8], copying: $0) }
        let labels = try Tensor(shape: [8], (0..<8).map { Int32($0 % 2 + 1) })
        try vm.setGlobal("images", to: images)
        try vm.setGlobal("labels", to: labels)
        try check(try [Float](images) == pixels, "images round trip")

        // 2. A Lua experiment using the host's functions.
        try vm.run(code: """
        local w = tensor.ones(8, 2):requires_grad()
        local loss = images:matmul(w):sum() * host_scale(1)
        loss:backward()
        print("loss", loss:item())
        grad = w.grad
        function predict(frame) return frame:matmul(w):sum():item() end
        """)
        let grad = try vm.global("grad", as: Tensor.self)
        // d/dw of 10 · Σ images·w: 10 × each column sum of images, for both outputs
        let columnSums = (0..<8).map { j in (0..<8).reduce(Float(0)) { $0 + pixels[$1 * 8 + j] } * 10 }
        let got = try [Float](grad), want = columnSums.flatMap { [$0, $0] }
        try check(got.count == want.count && zip(got, want).allSatisfy { abs($0 - $1) <= 1e-5 * abs($1) }, "gradient from Lua: \(got) vs \(want)")
        report.append("gradient from Lua: \(try [Float](grad).prefix(4))")

        // 3. Typed calls both ways.
        let frame = try Tensor(shape: [1, 8], [Float](repeating: 0.5, count: 8))
        let prediction = try vm.call("predict", with: [frame], as: Double.self)
        try check(prediction == 8, "predict(frame) = \(prediction)")
        let total = try vm.eval("host_frame(2):sum():item()", as: Double.self)
        try check(abs(total - (16...23).reduce(0.0) { $0 + Double($1) } / 40) < 1e-6, "host_frame(2) sum \(total)")
        let options = try vm.eval("{lr = 0.1, epochs = 3}", as: [String: Double].self)
        try check(options == ["lr": 0.1, "epochs": 3], "options table")
        report.append("typed results: predict = \(prediction), options = \(options.sorted { $0.key < $1.key })")

        // 4. Errors: a host function's own error, and a Lua error, with positions.
        let refused = try vm.eval("select(2, pcall(host_frame, 9))", as: String.self)
        try check(refused.hasSuffix("host_frame: no frame 9 (the camera has frames 1 to 4)"), refused)
        let wrongType = try vm.eval("select(2, pcall(host_scale, 'x'))", as: String.self)
        try check(wrongType.hasSuffix("bad argument #1 to 'host_scale' (number expected, got string)"), wrongType)
        do {
            try vm.run(code: "tensor.zeros(2, 3):matmul(tensor.zeros(4, 2))")
            try check(false, "the shape error was not raised")
        } catch let e as LuaError {
            report.append("a Lua error reaches Swift as a thrown error: " + (e.message.split(separator: "\n").first.map(String.init) ?? ""))
        }

        // 5. Training, with progress going to the host.
        watchTraining()
        let accuracy = try vm.eval("""
        (function()
          local d = data.spiral{classes = 2, per_class = 40}
          local m = nn.Sequential{nn.Linear(2, 16, {init = "kaiming"}), nn.ReLU(), nn.Linear(16, 2)}
          local h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.Adam(m, {lr = 0.02}),
                              train = d, val = d, epochs = 3, batch = 16}
          return h.best.val_acc
        end)()
        """, as: Double.self)
        try check(progressEvents == 3, "one progress event per epoch, got \(progressEvents)")
        try check(accuracy > 0.5 && accuracy <= 1, "validation accuracy \(accuracy)")
        report.append("training progress reached the host: \(progressEvents) epochs")

        // 6. A search, drawn by the host's live table.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try vm.setGlobal("search_dir", to: dir)
        let best = try vm.eval("""
        hp.search{name = "s", dir = search_dir, trials = 3, space = {a = hp.uniform(0, 1)},
                  trial = function(cfg) return -(cfg.a - 0.5) ^ 2 end}.best.score
        """, as: Double.self)
        try check(best <= 0 && !host.frames.isEmpty, "search best \(best), \(host.frames.count) frames")
        report.append("the host drew the search's live table \(host.frames.count) times")

        let lines = printed.lines.withLock { $0 }
        try check(lines.first?.hasPrefix("loss\t") == true, "print went to the host: \(lines.prefix(2))")
        report.append("print reached the host: \(lines.first!.trimmingCharacters(in: .newlines))")
        return report
    }
}

do {
    let lab = try Lab()
    for line in try await lab.run() { print(line) }
    print("embedding example: all checks passed")
} catch {
    print("error: \(error)")
    exit(1)
}
