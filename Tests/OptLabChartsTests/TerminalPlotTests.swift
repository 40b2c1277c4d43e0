import Testing
import OptLabRuntime
@testable import OptLabCharts

@Suite struct TerminalPlotTests {
    @Test func terminalPlotDrawsEveryPoint() throws {
        let p = try TerminalPlot(series: [("loss", [3, 2, 1])], width: 10, height: 3)
        let s = p.description
        #expect(s.contains("loss"))
        #expect(s.unicodeScalars.contains { $0.value >= 0x2801 && $0.value <= 0x28FF }, "braille dots drawn")
        #expect(throws: RuntimeError.self) { try TerminalPlot(series: [], width: 10, height: 3) }
    }
}
