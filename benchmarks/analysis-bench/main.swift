import Analysis
import Archive
import ArgumentParser
import Core
import Foundation

/// Measures the analysis library: full analyses per second (all nine heads plus consensus, with
/// 500 1m candles and 200 candles of each derived timeframe) on one core, and backtest candles
/// per second, over real klines.
@main
struct AnalysisBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphapulse-analysis-bench",
        abstract: "Benchmark the nine heads + consensus (analyses/s) and the backtest (candles/s) on one core."
    )

    @Option(help: "Folder of 1m kline archives (SYMBOL-1m-….csv or Binance's .zip).")
    var klines = "deploy/replay-data/futures"

    @Option(help: "Analysis inputs per symbol, taken at evenly spaced candles.")
    var inputs = 200

    @Option(help: "Timed passes over all inputs; the median is reported.")
    var runs = 5

    @Option(help: "Backtest runs; the median is reported.")
    var backtestRuns = 3

    func run() throws {
        let series = try load()
        let analyzer = Analyzer()
        // Inputs exactly as the live service and the backtest see them.
        var prepared: [AnalysisInput] = []
        for (symbol, candles) in series.sorted(by: { $0.key < $1.key }) where candles.count > 600 {
            let stride = max(1, (candles.count - 600) / inputs)
            for end in Swift.stride(from: 600, to: candles.count, by: stride).prefix(inputs) {
                prepared.append(.derived(from: Array(candles[..<end]), symbol: symbol, market: .futures))
            }
        }
        guard !prepared.isEmpty else { throw ValidationError("no symbol in \(klines) has more than 600 candles") }
        var rates: [Double] = []
        var signals = 0
        for _ in 0..<runs {
            let started = ContinuousClock.now
            signals = 0
            for input in prepared where analyzer.analyze(input).isSignal { signals += 1 }
            rates.append(Double(prepared.count) / seconds(ContinuousClock.now - started))
        }
        print("analysis: \(prepared.count) inputs (1m \(prepared[0].candles(.oneMinute).count), 4h \(prepared.last!.candles(.fourHours).count) candles), \(Int(median(rates))) analyses/s median of \(runs) (\(Int(1e6 / median(rates))) µs each; \(signals) consensus signals; target ≥ 5,000/s: \(median(rates) >= 5_000 ? "met" : "NOT met"))")

        let candles = series.values.flatMap { $0 }
        let backtester = Backtester(heads: Heads.all(), options: BacktestOptions(), atr: { StopATR()($0) })
        var candleRates: [Double] = []
        var report: BacktestReport?
        for _ in 0..<backtestRuns {
            let started = ContinuousClock.now
            report = backtester.run(candles)
            candleRates.append(Double(candles.count) / seconds(ContinuousClock.now - started))
        }
        print("backtest: \(candles.count) candles of \(series.count) symbols, \(report?.stepsAnalysed ?? 0) analyses, \(report?.figures.signals ?? 0) signals; \(Int(median(candleRates))) candles/s median of \(backtestRuns)")
    }

    func load() throws -> [String: [Candle]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: klines).filter { $0.hasSuffix(".csv") || $0.hasSuffix(".zip") }.sorted()
        var series: [String: [Candle]] = [:]
        for file in files {
            guard let parts = KlineCSV.nameParts(file), parts.interval == .oneMinute else { continue }
            let text = String(decoding: try ZipArchive.csvBytes(atPath: klines + "/" + file), as: UTF8.self)
            series[parts.symbol, default: []] += try KlineCSV.parse(text, market: .futures, symbol: parts.symbol, interval: .oneMinute)
        }
        return series.mapValues { $0.sorted { $0.openTime < $1.openTime } }
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
