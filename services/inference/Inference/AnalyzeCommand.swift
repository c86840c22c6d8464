import Analysis
import ArgumentParser
import Core
import Foundation
import ServiceRuntime

/// `alphapulse-inference analyze --klines FILE… [--at ISO8601]`.
public struct AnalyzeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Print every head's vote with its reasons, and the consensus, for one candle.",
        discussion: """
            Reads 1m kline CSVs (data.binance.vision format, plain or as Binance's .zip; several files of one symbol are \
            joined), derives 5m, 15m, 1h and 4h candles from them, and analyses the last candle — or, with --at, the 1m \
            candle open at that time — seeing only candles closed by then. Consensus and signal levels follow the configuration (consensus.*, signals.*).
            """
    )

    @OptionGroup var options: ServiceOptions

    @Option(parsing: .upToNextOption, help: ArgumentHelp("1m kline files, .csv or Binance's .zip.", valueName: "file"))
    var klines: [String]

    @Option(help: ArgumentHelp("Analyse the 1m candle open at this time (ISO 8601, UTC).", valueName: "iso8601"))
    var at: String?

    @Option(help: "Market of the klines: futures or spot.")
    var market: Market = .futures

    @Option(help: "Symbol, when the file names do not say (SYMBOL-1m-….csv or .zip).")
    var symbol: String?

    public init() {}

    public func validate() throws {
        guard !klines.isEmpty else { throw ValidationError("give at least one --klines file") }
    }

    public func run() async throws {
        let config = try options.load()
        let series = try KlineFiles.load(klines, market: market, symbol: symbol)
        let at = try self.at.map { try ISOInstant.millis($0, option: "--at") }
        let analyzer = Analyzer(heads: Heads.all(), rules: ConsensusRules(config.signals))
        let signalRules = SignalRules(config.signals)
        let stopATR = StopATR(config.signals)
        for (name, all) in series.sorted(by: { $0.key < $1.key }) {
            let candles = at.map { moment in all.filter { $0.openTime <= moment } } ?? all
            guard let last = candles.last else {
                throw ValidationError("\(name): no candle at or before \(self.at ?? "the end")")
            }
            if let at, last.openTime != at - at % 60_000 {
                FileHandle.standardError.write(Data("note: \(name) has no candle open at \(KlineFiles.iso(at)); using the one before\n".utf8))
            }
            let input = AnalysisInput.derived(from: candles, symbol: name, market: market)
            let consensus = analyzer.analyze(input)
            print(Self.render(input: input, last: last, consensus: consensus, signal: Signal(
                consensus: consensus, symbol: name, market: market, entry: last.close, atr: stopATR(input),
                createdAt: last.closeTime, rules: signalRules)))
        }
    }

    static func render(input: AnalysisInput, last: Candle, consensus: Consensus, signal: Signal?) -> String {
        var lines = [
            "\(input.symbol) \(input.market.rawValue) — 1m candle open \(KlineFiles.iso(last.openTime)), close \(last.close)",
            "timeframes: " + [CandleInterval.oneMinute, .fiveMinutes, .fifteenMinutes, .oneHour, .fourHours]
                .map { "\($0.rawValue) \(input.candles($0).count)" }.joined(separator: ", "),
            "",
        ]
        for vote in consensus.votes {
            let name = vote.head.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
            let direction = vote.direction.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append("\(name)\(direction)p=\(format(vote.probability))  c=\(format(vote.confidence))")
            for reason in vote.reasons { lines.append("    - \(reason)") }
        }
        lines.append("")
        lines.append("consensus: \(consensus.summary)")
        if let signal {
            lines.append("""
                signal: \(signal.direction.rawValue.uppercased()) entry \(signal.entry), stop \(price(signal.stop)), \
                target 2R \(price(signal.target1)), 3R \(price(signal.target2)), expires \(KlineFiles.iso(signal.expiresAt)); \
                probability \(format(signal.probability)), confidence \(format(signal.confidence)), heads \(signal.agreeing.map(\.rawValue).joined(separator: ","))
                """)
        } else if consensus.isSignal {
            lines.append("signal: none — no usable ATR to size the stop")
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    static func price(_ value: Double) -> String {
        String(format: "%.8g", value)
    }
}
