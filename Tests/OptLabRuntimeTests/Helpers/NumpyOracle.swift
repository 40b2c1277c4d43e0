import Foundation
@testable import OptLabRuntime

/// numpy as an independent reference: inputs go to python3 as .npy files
/// (written by our own encoder), the snippet computes, results come back as
/// .npy files (read by our own decoder). So every comparison also exercises
/// both directions of the .npy codec.
enum NumpyOracle {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Runs `code` with each input bound to a numpy array of its name; the
    /// snippet assigns a dict `out` of arrays to return.
    static func run(_ code: String, _ inputs: [String: Tensor] = [:]) throws -> [String: Tensor] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("optlab-np-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, t) in inputs { try Npy.save(t, to: dir.appendingPathComponent("in_\(name).npy").path) }
        let script = """
        import numpy as np, os, sys
        d = sys.argv[1]
        for f in os.listdir(d):
            if f.startswith('in_') and f.endswith('.npy'):
                globals()[f[3:-4]] = np.load(os.path.join(d, f))
        out = {}
        \(code.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n"))
        for k, v in out.items():
            np.save(os.path.join(d, 'out_' + k + '.npy'), np.asarray(v, order='C'))
        """
        let scriptURL = dir.appendingPathComponent("oracle.py")
        // (not atomically: Foundation on Linux leaves an empty /tmp/TemporaryDirectory.* behind each time)
        try script.write(to: scriptURL, atomically: false, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", scriptURL.path, dir.path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "numpy oracle failed (is python3 with numpy installed?):\n\(msg)")
        }
        var results: [String: Tensor] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.hasPrefix("out_") {
            results[String(f.dropFirst(4).dropLast(4))] = try Npy.load(dir.appendingPathComponent(f).path)
        }
        return results
    }

    /// Runs a python snippet for its exit status and output (used for
    /// readers other than numpy, e.g. the safetensors package).
    static func python(_ code: String, args: [String] = []) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", code] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A fresh folder under the system's temporary directory, for one test suite.
func makeTemporaryDirectory(_ prefix: String) -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}
