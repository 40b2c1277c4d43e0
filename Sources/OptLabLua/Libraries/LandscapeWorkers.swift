import Foundation
import Glibc
import OptLabRuntime

/// `monitor.landscape{workers = N}`: the 2-D grid evaluated by N other
/// processes, each taking every N-th row of a job folder (`LandscapeJob`):
/// local worker processes with one thread each, or the N tasks of a
/// Slurm job array. Rows a worker did not deliver (it died, its task failed
/// or was cancelled) are evaluated here afterwards, and counted, so the grid
/// is always whole.
enum LandscapeWorkers {
    enum Backend { case local, slurm(sbatch: [String]) }

    struct Outcome {
        let values: [[Double]]
        /// Rows evaluated in this process because their worker did not deliver them.
        let rowsHere: [Int]
        let dir: String
    }

    static let op = "monitor.landscape"

    /// Evaluates `job`'s grid in `workers` processes started with `command` (+ DIR --part K/N).
    static func plane(_ job: LandscapeJob, workers: Int, backend: Backend, dir given: String?, command: [String]) throws -> Outcome {
        let dir: String
        if let given { dir = given } else {
            // a Slurm task may run on another node: its job must be on the shared file system the script runs in
            let base: String
            if case .slurm = backend { base = FileManager.default.currentDirectoryPath } else { base = NSTemporaryDirectory() }
            dir = (base as NSString).appendingPathComponent("optlab-landscape-\(getpid())-\(UUID().uuidString.prefix(8))")
        }
        try job.write(to: dir)
        defer { if given == nil { try? FileManager.default.removeItem(atPath: dir) } }
        switch backend {
        case .local: try runLocal(dir: dir, workers: workers, command: command)
        case .slurm(let sbatch): try runSlurm(dir: dir, workers: workers, command: command, sbatch: sbatch)
        }
        var values: [[Double]] = [], here: [Int] = []
        for i in job.axis.indices {
            if let row = LandscapeJob.readRow(dir, i, count: job.axis.count) { values.append(row); continue }
            here.append(i)
            values.append(try job.row(i))
        }
        return Outcome(values: values, rowsHere: here, dir: dir)
    }

    static func interrupted() -> Bool { Trainer.interruptCheck?() == true }

    // MARK: local processes

    static func runLocal(dir: String, workers: Int, command: [String]) throws {
        var pids: [pid_t] = []
        defer {
            // stopped and reaped whatever happened (an interrupt, a failed start)
            for pid in pids { kill(pid, SIGTERM) }
            for pid in pids { var status: Int32 = 0; waitpid(pid, &status, 0) }
        }
        for k in 0..<workers {
            pids.append(try ProcessSpawn.start(command[0], command + [dir, "--part", "\(k)/\(workers)"], setting: ProcessSpawn.oneThread, op: op))
        }
        while !pids.isEmpty {
            if interrupted() { throw RuntimeError(.interrupted, op, "interrupted while \(pids.count) workers evaluated the grid") }
            pids = pids.filter { pid in var status: Int32 = 0; return waitpid(pid, &status, WNOHANG) == 0 }
            usleep(20_000)
        }
    }

    // MARK: Slurm

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs `words` (no shell) and returns its exit status and output.
    static func run(_ words: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = words
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { throw RuntimeError(.io, op, "cannot run \(words[0]): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static let active: Set<String> = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                                      "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING"]

    /// One array of `workers` tasks, task K running part K of N; returns once no task is queued or running.
    static func runSlurm(dir: String, workers: Int, command: [String], sbatch: [String]) throws {
        let script = dir + "/landscape.sbatch"
        let lines = ["#!/bin/sh",
                     "#SBATCH --job-name=optlab-landscape",
                     "#SBATCH --output=" + dir + "/slurm-%A_%a.out",
                     "# task K evaluates rows K, K + \(workers), K + \(2 * workers), … of the grid",
                     "cd " + quoted(FileManager.default.currentDirectoryPath) + " || exit 1",
                     "export OPTLAB_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} OPENBLAS_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}",
                     "exec " + command.map(quoted).joined(separator: " ") + " " + quoted(dir) + " --part \"${SLURM_ARRAY_TASK_ID}/\(workers)\"", ""]
        try AtomicFile.write(Array(lines.joined(separator: "\n").utf8), to: script, op: op)
        let submitted = try run(["sbatch", "--parsable", "--array=0-\(workers - 1)"] + sbatch + [script])
        guard submitted.status == 0, let id = submitted.output.split(whereSeparator: \.isWhitespace).first.map({ String($0.split(separator: ";")[0]) }),
              Int(id) != nil else {
            throw RuntimeError(.io, op, "sbatch failed: " + submitted.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var finished = false
        defer { if !finished { _ = try? run(["scancel", id]) } }
        // ended when squeue shows no task active twice in a row (a task between states is not mistaken for ended)
        var idle = 0
        while idle < 2 {
            for _ in 0..<10 {
                if interrupted() { throw RuntimeError(.interrupted, op, "interrupted; Slurm job \(id) was cancelled") }
                usleep(100_000)
            }
            let q = try run(["squeue", "-h", "-r", "-t", "all", "-o", "%i %T", "-j", id])
            if q.status != 0 {
                if q.output.contains("Invalid job id") { break }   // the job has left the controller's memory
                continue
            }
            let states = q.output.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
            idle = states.contains(where: active.contains) ? 0 : idle + 1
        }
        finished = true
    }
}
