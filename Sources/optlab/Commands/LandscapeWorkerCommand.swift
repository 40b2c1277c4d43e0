import Glibc
import OptLabRuntime

/// `optlab --landscape-worker DIR --part K/N`: rows K, K + N, K + 2N, … of
/// the landscape job in DIR, as `monitor.landscape{workers = N}` starts it
/// (K counted from 0; a Slurm array task passes its SLURM_ARRAY_TASK_ID).
enum LandscapeWorkerCommand {
    static let usage = "usage: optlab --landscape-worker DIR --part K/N   (0 ≤ K < N)"

    static func run(_ args: [String]) -> Int32 {
        guard args.count == 3, args[1] == "--part" else {
            fputs(usage + "\n", stderr)
            return 1
        }
        let split = args[2].split(separator: "/")
        guard split.count == 2, let part = Int(split[0]), let parts = Int(split[1]), parts > 0, (0..<parts).contains(part) else {
            fputs("optlab --landscape-worker: --part must be K/N with 0 ≤ K < N, got \(args[2])\n" + usage + "\n", stderr)
            return 1
        }
        do {
            try LandscapeJob.work(args[0], part: part, of: parts)
            return 0
        } catch {
            printError("\(error)")
            return 1
        }
    }
}
