import Foundation

/// A smoke run of any script: with `OPTLAB_TINY=1` in the environment,
/// a script that trains for hours runs to its end in seconds, so a typo
/// in its last line shows before the long run rather than after it. The
/// test suite runs every example script and documentation block this way.
///
/// What shrinks, and only that: the named data sets keep their first
/// examples (`data.fashion_mnist`, `data.cifar10`), a text set's epochs
/// read at most 48 blocks (`data.text`, `data.shakespeare`), `train.fit` and
/// `train.distill` train at most one epoch, and each stage of `hp.search`
/// (or an ASHA search) at most three trials, its epochs at most one. The
/// first time a limit applies, one line on standard error says so; the
/// numbers a tiny run prints are not results.
public enum TinyRun {
    /// Whether this process is a tiny run (`OPTLAB_TINY` set to anything but "" or "0").
    public static let isOn: Bool = {
        let v = ProcessInfo.processInfo.environment["OPTLAB_TINY"] ?? ""
        return !v.isEmpty && v != "0"
    }()

    /// A named data set's training part keeps this many examples; its test part `testExamples`.
    public static let trainingExamples = 1000
    public static let testExamples = 200
    /// A text set's epoch draws (or evaluates) at most this many blocks.
    public static let blocksPerEpoch = 48
    /// `train.fit` trains at most this many epochs.
    public static let epochs = 1.0
    /// Each stage of `hp.search` runs at most this many trials.
    public static let trialsPerStage = 3

    /// The data set as a tiny run uses it (its first `n` examples), or unchanged.
    public static func examples(_ d: Dataset, keep n: Int) throws -> Dataset {
        guard isOn, d.count > n else { return d }
        announce()
        return try d.take(n)
    }

    /// The epochs a tiny run trains instead of `e`.
    public static func epochs(_ e: Double) -> Double {
        guard isOn, e > epochs else { return e }
        announce()
        return epochs
    }

    /// Says once, on standard error, that this run is tiny.
    public static func announce() { _ = announcement }

    private static let announcement: Void = {
        let line = "optlab: OPTLAB_TINY is set: a smoke run (data sets cut to their first \(trainingExamples) examples, "
            + "train.fit to \(Int(epochs)) epoch, hp.search to \(trialsPerStage) trials a stage); its numbers are not results\n"
        FileHandle.standardError.write(Data(line.utf8))
    }()
}
