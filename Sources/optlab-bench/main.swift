import Foundation
import OptLabRuntime

/// `swift run -c release optlab-bench [core]`: optlab beside numpy, in one run.
struct Row {
    let name: String, unit: String
    let ours: Double
    let reference: Double?
    let higherIsBetter: Bool

    /// How many times better than the reference (> 1 is faster).
    var speedup: Double? {
        reference.map { higherIsBetter ? ours / $0 : $0 / ours }
    }

    /// A row from interleaved (reference, ours) seconds: both medians, and in
    /// the name the median and range of the pairs' ratios, `ratio` naming it
    /// ("Lua ÷ built-in": ours over the reference; `inverted`, the reference over ours).
    static func paired(_ name: String, ratio: String, inverted: Bool = false, unit: String, scale: Double,
                       _ p: [(Double, Double)]) -> Row {
        let ratios = p.map { inverted ? $0.0 / $0.1 : $0.1 / $0.0 }.sorted()
        let a = p.map(\.0).sorted()[p.count / 2], b = p.map(\.1).sorted()[p.count / 2]
        return Row(name: String(format: "%@ (%@, median of %d pairs %.2f, range %.2f–%.2f)", name, ratio, p.count,
                                ratios[ratios.count / 2], ratios.first ?? 0, ratios.last ?? 0),
                   unit: unit, ours: b * scale, reference: a * scale, higherIsBetter: false)
    }
}

func format(_ v: Double) -> String {
    v >= 100 ? String(format: "%.0f", v) : v >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)
}

// OpenBLAS reads its kernel family and its threads' spin time, and glibc its
// malloc cache size, only as the process starts: start again, once, with
// better ones when they apply (see StartupEnvironment).
StartupEnvironment.restartIfNeeded()

let suites = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("-") }
let wanted = suites.isEmpty ? ["core", "lua", "train", "check", "modelling", "embed"] : Array(suites)
var rows: [Row] = []
do {
    if wanted.contains("core") { rows += try CoreBenchmarks.run() }
    if wanted.contains("lua") { rows += try LuaBenchmarks.run() }
    if wanted.contains("micro") { rows += try MicroBenchmarks.run() }
    if wanted.contains("train") { rows += try TrainingBenchmarks.run() }
    if wanted.contains("check") { rows += try CheckBenchmarks.run() }
    if wanted.contains("curvature") { rows += try CurvatureBenchmarks.run() }
    if wanted.contains("modelling") { rows += try ModellingBenchmarks.run() }
    if wanted.contains("embed") { rows += try EmbeddingBenchmarks.run() }
    if wanted.contains("torch") { rows += try TorchBenchmarks.run() }
} catch {
    FileHandle.standardError.write("optlab-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
}

let env = ProcessInfo.processInfo.environment
print("optlab-bench — \(NumpyReference.version()); \(ProcessInfo.processInfo.activeProcessorCount) cores; "
      + "OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset"), OpenBLAS \(BLASCore.name) kernels")
print("")
print("| benchmark | unit | optlab | reference | optlab vs reference |")
print("|---|---|---:|---:|---:|")
for r in rows {
    let ref = r.reference.map(format) ?? "—"
    let ratio = r.speedup.map { String(format: "%.2f×", $0) } ?? "—"
    print("| \(r.name) | \(r.unit) | \(format(r.ours)) | \(ref) | \(ratio) |")
}
print("")
print("The reference is numpy (in Python) unless the row names another; > 1× means optlab is faster.")
