import OptLabCharts
import Foundation
import OptLabLua
import OptLabRuntime

/// What the notebook offers the Lua face: outputs that update in place.
/// train.fit's progress and hp.search's live table each own one display
/// (display_data with a display id, then update_display_data); a plot or a
/// tensor passed to display() is an output of its own.
final class NotebookHost: LuaHost {
    let iopub: IOPub
    private var tableDisplay: String?
    private var progressDisplay: String?
    private var lastProgress: TrainingProgress?
    private var epochLines: [String] = []
    private var lastDraw = 0.0
    /// Whether the current fit's display exists (later draws update it).
    private var progressShown = false

    init(iopub: IOPub) { self.iopub = iopub }

    /// Every cell starts with no display of its own.
    func newCell() {
        tableDisplay = nil
        progressDisplay = nil
        lastProgress = nil
        epochLines = []
    }

    func display(_ data: [String: Any], id: String? = nil, update: Bool = false) {
        var content: [String: Any] = ["data": data, "metadata": [String: Any]()]
        if let id { content["transient"] = ["display_id": id] }
        iopub.publish(update ? "update_display_data" : "display_data", content)
    }

    // MARK: hp.search's live table

    func liveTableSize() -> (rows: Int, columns: Int)? { (60, 120) }

    func drawLiveTable(_ lines: [String], replacing previous: Int) {
        let text = lines.joined(separator: "\n")
        if previous == 0 || tableDisplay == nil {
            let id = UUID().uuidString.lowercased()
            tableDisplay = id
            display(["text/plain": text], id: id)
        } else {
            display(["text/plain": text], id: tableDisplay, update: true)
        }
    }

    func startSearchWorker(script: String) throws -> Int32 {
        try OptlabHost.spawnWorker(script: script)
    }

    // MARK: train.fit's progress

    /// One display per fit: the epochs' lines so far and the running epoch's
    /// bar, redrawn at most ten times a second (and at every epoch's end).
    func showProgress(_ p: TrainingProgress) {
        let newFit: Bool = {
            guard let last = lastProgress else { return true }
            if last.event == .epoch && last.epoch == last.epochs { return true }   // the previous fit ended
            return p.epoch < last.epoch || p.epochs != last.epochs
        }()
        lastProgress = p
        if newFit || progressDisplay == nil {
            progressDisplay = UUID().uuidString.lowercased()
            epochLines = []
            lastDraw = 0
            progressShown = false
        }
        let now = monotonicSeconds()
        let line: String
        switch p.event {
        case .epoch:
            epochLines.append(ProgressText.epochLine(p))
            line = ""
        case .iteration:
            guard now - lastDraw > 0.1 || p.iteration == p.iterationsPerEpoch else { return }
            line = ProgressText.barLine(p, width: 30)
        }
        lastDraw = now
        // The last 30 epoch lines: a long fit stays a short output.
        let shown = epochLines.suffix(30)
        var text = (epochLines.count > 30 ? ["(\(epochLines.count - 30) earlier epochs)"] : []) + shown
        if !line.isEmpty { text.append(line) }
        let fraction = (Double(p.epoch - 1) + Double(p.iteration) / Double(max(p.iterationsPerEpoch, 1))) / Double(max(p.epochs, 1))
        let html = "<div style=\"font-family:monospace\"><progress value=\"\(p.event == .epoch ? Double(p.epoch) / Double(max(p.epochs, 1)) : fraction)\" max=\"1\" style=\"width:24em\"></progress>"
            + "<pre style=\"margin:2px 0\">" + text.map(SVGPlot.escape).joined(separator: "\n") + "</pre></div>"
        display(["text/plain": text.joined(separator: "\n"), "text/html": html], id: progressDisplay, update: progressShown)
        progressShown = true
    }
}
