import OptLabRuntime

/// The budget `hp.search` hands a trial (`train.fit{budget = budget}`), and
/// the policy of what it changes: explicit options win, the budget supplies
/// the defaults.
///
/// - `epochs`: the stage's (or rung's) epochs.
/// - `stop_above`: the first stage stops a trial whose loss passes 3× its start.
/// - `resume`: a promoted or retried trial carries on from its own folder.
/// - `dir`: the trial's folder, the default log (and its files are the
///   search's own, so logging there needs no `overwrite`).
/// - `quiet`: a trial under a live table prints no progress of its own.
/// - `report`: the pruner's ear, told of progress a few times an epoch.
struct SearchBudget {
    let fields: [String: LuaValue]

    init(_ a: LuaArgs, _ o: LuaOptions) throws {
        guard let b = o.value("budget"), !b.isNil else { fields = [:]; return }
        guard case .record(let f) = b else { throw a.argumentError(1, "option 'budget' must be the budget table hp.search passes to the trial") }
        fields = Dictionary(f, uniquingKeysWith: { x, _ in x })
    }

    var isEmpty: Bool { fields.isEmpty }
    var epochs: Double? { fields["epochs"]?.number }
    var stopAbove: Double? { fields["stop_above"]?.number }
    var directory: String? { fields["dir"]?.string }
    var resumes: Bool { if case .bool(true)? = fields["resume"] { return true }; return false }
    var quiet: Bool { if case .bool(true)? = fields["quiet"] { return true }; return false }
    var report: LuaReference? { if case .function(let ref)? = fields["report"] { return ref }; return nil }

    /// The trainer's options as the call and this budget give them.
    func trainerOptions(_ a: LuaArgs, _ o: LuaOptions) throws -> Trainer.Options {
        var opts = Trainer.Options()
        // Fractional epochs (a coarse stage's "1 epoch or even less"): the last one runs that share of its iterations.
        let asked = try o.number("epochs", default: self.epochs ?? 10)
        guard asked > 0, asked <= 1e6 else { throw a.argumentError(1, "option 'epochs' must be a positive number, got \(asked)") }
        let epochs = TinyRun.epochs(asked)
        opts.epochs = Int(epochs.rounded(.up))
        opts.lastEpochFraction = epochs - Double(opts.epochs - 1)
        // a trial's checkpoints and resume state go into its own folder unless it logs elsewhere
        opts.runDirectory = o.has("log") ? try o.string("log", default: "") : directory
        if let d = opts.runDirectory, o.has("log") { try PathName.checkPath(d, op: "train.fit", what: "option 'log'") }
        // a trial's folder is hp.search's own, and a trial's script may keep files of its own there
        opts.overwrite = try o.bool("overwrite", default: !isEmpty)
        // A budget's resume applies when there is a run folder to resume from; an explicit resume needs one.
        if try o.bool("resume", default: false) {
            guard opts.runDirectory != nil else { throw a.argumentError(1, "option 'resume' needs log = the run folder to resume from") }
            opts.resume = true
        } else if resumes {
            opts.resume = opts.runDirectory != nil && !o.has("resume")
        }
        if o.has("stop_above") || stopAbove != nil {
            let f = try o.number("stop_above", default: stopAbove ?? 3)
            guard f > 1 else { throw a.argumentError(1, "option 'stop_above' must be a factor above 1, got \(f)") }
            opts.stopAbove = f
        }
        return opts
    }
}
