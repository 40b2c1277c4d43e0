import Glibc
import OptLabLua
import OptLabRuntime

/// train.fit's progress on a terminal: one line redrawn in place (at most
/// ten times a second) with a bar, the loss, the last accuracies and the
/// ETA; a permanent line per epoch, at most five a second (tiny epochs
/// would print thousands: the skipped ones are counted in the next line,
/// and the last epoch is always shown).
final class ProgressBar {
    private var lastDraw = 0.0, lastEpochLine = 0.0
    private var skipped = 0

    func show(_ p: TrainingProgress) {
        switch p.event {
        case .epoch:
            let now = monotonicSeconds()
            guard now - lastEpochLine >= 0.2 || p.epoch == p.epochs else {
                skipped += 1
                return
            }
            lastEpochLine = now
            let note = skipped > 0 ? "  (\(skipped) epoch line\(skipped == 1 ? "" : "s") skipped)" : ""
            skipped = 0
            fputs("\r\u{1B}[2K" + ProgressText.epochLine(p) + note + "\n", stdout)
        case .iteration:
            let now = monotonicSeconds()
            guard now - lastDraw > 0.1 || p.iteration == p.iterationsPerEpoch else { return }
            lastDraw = now
            fputs("\r\u{1B}[2K" + ProgressText.barLine(p, width: 24), stdout)
        }
        fflush(stdout)
    }
}
