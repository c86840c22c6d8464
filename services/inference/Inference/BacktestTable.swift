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
        let edge = report.edge
        let verdict: String
        switch edge.verdict {
        case .edge: verdict = "an edge: the whole interval is above 0"
        case .worse: verdict = "worse than chance: the whole interval is below 0"
        case .inconclusive: verdict = "inconclusive: the interval includes 0, so the difference may be noise"
        case .noData: verdict = "no comparison: a group has no resolved signal"
        }
        lines.append("mean R vs baseline: \(number(edge.meanRDifference, 3)) (95% bootstrap CI \(number(edge.low, 3)) to "
            + "\(number(edge.high, 3)), \(edge.signals) vs \(edge.baselineSignals) resolved) — \(verdict)")
        lines.append("")
        let headWidths = [17, 8, 8, 9, 15]
        lines.append(row(["head", "votes", "scored", "hit rate", "in signals"], headWidths))
        for head in report.heads {
            lines.append(row([head.head, String(head.votes), String(head.scored), percent(head.hitRate), String(head.agreedSignals)], headWidths))
        }
        return lines.joined(separator: "\n")
    }
}
