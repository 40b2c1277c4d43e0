import Foundation
import OptLabLua
import OptLabRuntime

/// `optlab-bench torch`: optlab against PyTorch CPU on the same workloads
/// (scripts/bench/workloads.lua and scripts/bench/torch_reference.py), at 1
/// and 2 threads on both sides, interleaved pairs in one run: PyTorch's block
/// then optlab's, 5 pairs, the median ratio and its range (> 1: optlab is
/// faster). PyTorch runs in a venv the bench makes when it is missing
/// (`pip install torch numpy`, a few GB; never in CI or scripts/test), or in
/// the Python named by OPTLAB_TORCH_PYTHON.
enum TorchBenchmarks {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Rows named numpy_… are measured against numpy (the issue's reference for
    /// elementwise and small ops) at 1 thread only: numpy's ufuncs and small
    /// products run on one.
    static let workloads: [(name: String, label: String, block: Double)] = [
        ("char_gpt_train", "character transformer of shakespeare_char.lua, train step, batch 12×64", 1.0),
        ("attention", "causal self-attention forward+backward, [12, 4 heads, 64, 32]", 0.6),
        ("layernorm", "LayerNorm 128 forward+backward, 12×64×128", 0.3),
        ("embedding", "Embedding 84×128 forward+backward, 12×64 ids", 0.3),
        ("lstm", "LSTM 256→256 forward+backward, 12 sequences of 32 steps", 0.6),
        ("optim_SGD", "SGD momentum step, 1M f32 parameters (torch: foreach)", 0.3), ("optim_Adam", "Adam step, 1M f32 parameters (torch: foreach)", 0.3),
        ("optim_AdamW", "AdamW step, 1M f32 parameters (torch: foreach)", 0.3), ("optim_Adagrad", "Adagrad step, 1M f32 parameters (torch: foreach)", 0.3),
        ("optim_RMSprop", "RMSprop step, 1M f32 parameters (torch: foreach)", 0.3), ("optim_NAdam", "NAdam step, 1M f32 parameters (torch: foreach)", 0.3),
        ("optim_RAdam", "RAdam step, 1M f32 parameters (torch: foreach)", 0.3), ("optim_Adamax", "Adamax step, 1M f32 parameters (torch: foreach)", 0.3),
        ("optim_Adadelta", "Adadelta step, 1M f32 parameters (torch: foreach)", 0.3), ("optim_Rprop", "Rprop step, 1M f32 parameters (torch: foreach)", 0.3),
        ("optim_ASGD", "ASGD step, 1M f32 parameters (torch: foreach)", 0.3), ("optim_Adafactor", "Adafactor step, 1M f32 parameters (torch: foreach)", 0.3),
        ("optim_Muon", "Muon step on the MLP's 256×784 and 128×256 weights", 0.3),
        ("conv_train", "convnet of fashion_mnist_conv.lua, train step, batch 128", 1.0),
        ("conv_eval", "convnet eval forward, batch 128", 0.6),
        ("mlp_train", "MLP 784-256-128-10 train step, Adam, batch 256", 0.6),
        ("conv", "Conv2d 32→64 3×3 forward+backward, 128×32×14×14", 0.6),
        ("batchnorm", "BatchNorm 32 forward+backward, 128×32×28×28", 0.6),
        ("add", "x + y, 1M f32", 0.3), ("mul", "x * y, 1M f32", 0.3), ("relu", "relu, 1M f32", 0.3),
        ("where", "tensor.where(mask, x, y), 1M f32 (PyTorch and numpy: a bool mask)", 0.3), ("exp", "exp, 1M f32", 0.3), ("tanh", "tanh, 1M f32", 0.3), ("sigmoid", "sigmoid, 1M f32", 0.3),
        ("log", "log, 1M positive f32", 0.3), ("small_add", "x + y, 4 f32", 0.2),
        ("numpy_add", "x + y, 1M f32", 0.3), ("numpy_mul", "x * y, 1M f32", 0.3),
        ("numpy_where", "tensor.where(mask, x, y), 1M f32 (numpy: a bool mask)", 0.3), ("numpy_exp", "exp, 1M f32", 0.3),
        ("numpy_tanh", "tanh, 1M f32", 0.3), ("numpy_log", "log, 1M positive f32", 0.3),
        ("numpy_small_add", "x + y, 4 f32", 0.2), ("numpy_small_sum", "x:sum(), 4 f32", 0.2),
        ("numpy_small_linear", "nn.Linear(10, 10) forward on 1×10 (numpy: x @ W.T + b)", 0.2),
    ]

    static func python() throws -> String {
        if let p = ProcessInfo.processInfo.environment["OPTLAB_TORCH_PYTHON"] { return p }
        let venv = root.appendingPathComponent(".build/torch-venv").path
        let py = venv + "/bin/python"
        if !FileManager.default.fileExists(atPath: py) {
            FileHandle.standardError.write("optlab-bench: making \(venv) with torch (a few GB, once)\n".data(using: .utf8)!)
            for args in [["python3", "-m", "venv", venv], [venv + "/bin/pip", "install", "-q", "torch", "numpy"]] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = args
                try p.run()
                p.waitUntilExit()
                guard p.terminationStatus == 0 else { throw LuaError(message: "optlab-bench: \(args.joined(separator: " ")) failed") }
            }
        }
        return py
    }

    /// The PyTorch process: one request line, one answer line.
    final class Reference {
        let process = Process(), input = Pipe(), output = Pipe()
        var buffered = Data()
        let version: String

        init(python: String, script: String) throws {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            version = try Reference.line(output, &buffered)
        }

        static func line(_ pipe: Pipe, _ buffered: inout Data) throws -> String {
            while true {
                if let nl = buffered.firstIndex(of: 0x0a) {
                    let line = String(decoding: buffered[buffered.startIndex..<nl], as: UTF8.self)
                    buffered = Data(buffered[(nl + 1)...])
                    return line
                }
                let chunk = pipe.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw LuaError(message: "optlab-bench: the PyTorch process ended") }
                buffered.append(chunk)
            }
        }

        func seconds(_ workload: String, threads: Int, iterations: Int) throws -> Double {
            input.fileHandleForWriting.write("\(workload) \(threads) \(iterations)\n".data(using: .utf8)!)
            guard let s = Double(try Reference.line(output, &buffered)) else { throw LuaError(message: "optlab-bench: bad answer from PyTorch") }
            return s
        }
    }

    static func run() throws -> [Row] {
        let reference = try Reference(python: try python(), script: root.appendingPathComponent("scripts/bench/torch_reference.py").path)
        defer { reference.process.terminate() }
        let vm = try LuaVM()
        let make = try vm.run(file: root.appendingPathComponent("scripts/bench/workloads.lua").path).first ?? .nil
        var rows: [Row] = []
        let only = ProcessInfo.processInfo.environment["OPTLAB_TORCH_WORKLOADS"].map { Set($0.split(separator: ",").map(String.init)) }
        for threads in [1, 2] {
            Parallel.threads = threads
            for w in workloads where only?.contains(w.name) ?? true {
                let numpy = w.name.hasPrefix("numpy_")
                if numpy && threads > 1 { continue }
                let step = try vm.call(function: make, [.string(w.name)]).first ?? .nil
                func ours(_ n: Int) throws -> Double {
                    let t0 = now()
                    try vm.call(function: step, [.integer(n)])
                    return now() - t0
                }
                // size a block to about w.block seconds on optlab's side
                _ = try ours(1)
                let once = try ours(1)
                let n = Swift.max(1, Int(w.block / Swift.max(once, 1e-7)))
                var pairs: [(Double, Double)] = []
                for _ in 0..<5 {
                    let theirs = try reference.seconds(w.name, threads: threads, iterations: n) / Double(n)
                    pairs.append((theirs, try ours(n) / Double(n)))
                }
                let b = pairs.map(\.1).sorted()[2]
                let unit = b < 1e-3 ? "µs" : "ms", scale = b < 1e-3 ? 1e6 : 1e3
                let against = numpy ? "numpy" : "PyTorch"
                let row = Row.paired("\(w.label), \(threads) thread" + (threads == 1 ? "" : "s") + (numpy ? ", against numpy" : ""),
                                     ratio: "\(against) ÷ optlab", inverted: true, unit: unit, scale: scale, pairs)
                rows.append(row)
                FileHandle.standardError.write("\(row.name): optlab \(format(row.ours)) \(unit), \(against) \(format(row.reference!))\n".data(using: .utf8)!)
            }
        }
        print("reference: \(reference.version)")
        return rows
    }
}
