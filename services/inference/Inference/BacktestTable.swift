import Analysis
import Foundation

/// The backtest report as a terminal table.
enum BacktestTable {
    static func render(_ report: BacktestReport, elapsed: Duration) -> String {
        func number(_ value: Double, _ digits: Int = 2) -> String { value.isFinite ? String(format: "%.\(digits)f", value) : "-" }
        func percent(_ value: Double) -> String { value.isFinite ? String(format: "%.1f%%", value * 100) : "-" }
        func row(_ cells: [String], _ widths: [Int]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                let padding = String(repeating: " ", count: max(0, pair.1 - pair.0.count))
                return index == 0 ? pair.0 + padding : padding + pair.0
            }.joined(separator: "  ")
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var lines: [String] = []
        let symbols = report.symbols.map { "\($0.symbol) (\($0.candles))" }.joined(separator: ", ")
        lines.append("backtest: \(symbols)")
        lines.append("\(report.candlesProcessed) candles, \(report.stepsAnalysed) analyses in \(number(seconds, 1)) s"
            + (seconds > 0 ? " (\(Int(Double(report.candlesProcessed) / seconds)) candles/s)" : ""))
        lines.append("")
        let widths = [10, 8, 6, 6, 8, 9, 8, 9, 10, 12]
        lines.append(row(["", "signals", "won", "lost", "expired", "win rate", "mean R", "total R", "max DD R", "signals/day"], widths))
        for (name, figures) in [("strategy", report.figures), ("baseline", report.baseline.figures)] {
            lines.append(row([
                name, String(figures.signals), String(figures.won), String(figures.lost), String(figures.expired),
                percent(figures.winRate), number(figures.meanR), number(figures.totalR), number(figures.maxDrawdownR),
                number(figures.signalsPerDay),
            ], widths))
        }
        lines.append("")
        let headWidths = [17, 8, 8, 9, 15]
        lines.append(row(["head", "votes", "scored", "hit rate", "in signals"], headWidths))
        for head in report.heads {
            lines.append(row([head.head, String(head.votes), String(head.scored), percent(head.hitRate), String(head.agreedSignals)], headWidths))
        }
        return lines.joined(separator: "\n")
    }
}
