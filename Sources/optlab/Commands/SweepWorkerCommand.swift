import Glibc

/// `optlab --sweep-worker script.lua [--trial T]`: one worker of a sweep,
/// as the master starts it (or a Slurm array task, which runs exactly trial T).
enum SweepWorkerCommand {
    static func run(_ args: [String]) -> Int32 {
        var trial: Int?
        if args.count == 3, args[1] == "--trial", let t = Int(args[2]), t >= 1 {
            trial = t
        } else if args.count != 1 {
            fputs("usage: optlab --sweep-worker script.lua [--trial T]\n", stderr)
            return 1
        }
        return runSweepScript(args[0], .worker(script: args[0], trial: trial))
    }
}
