import Analysis
import ArgumentParser
import CandleStore
import Core
import Foundation
import Logging
import Postgres
import ServiceRuntime

/// `alphapulse-inference backtest --klines FILE… [--market] [--from] [--to] [--report FILE.json]`.
public struct BacktestCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Walk kline history candle by candle through the nine heads, consensus, cooldown and outcomes.",
        discussion: """
            No look-ahead: each analysis sees only 1m candles closed by then and higher timeframes built from them \
            (complete buckets only). Signals follow the configuration (consensus.*, signals.*) and are resolved against \
            later candles: target, stop (the stop when both fall in one candle), or expiry. The report compares them with \
            a random baseline that uses the same stop, target, expiry and cooldown rules from a fixed seed; the same \
            input gives the same report.
            """
    )

    @OptionGroup var options: ServiceOptions

    @Option(parsing: .upToNextOption, help: ArgumentHelp("1m kline files, .csv or Binance's .zip (one or more symbols).", valueName: "file"))
    var klines: [String]

    @Option(help: "Market of the klines: futures or spot.")
    var market: Market = .futures

    @Option(help: ArgumentHelp("Analyse candles closing from this time (ISO 8601); earlier ones only warm up.", valueName: "iso8601"))
    var from: String?

    @Option(help: ArgumentHelp("Analyse candles closing before this time (ISO 8601).", valueName: "iso8601"))
    var to: String?

    @Option(help: ArgumentHelp("Write the report as JSON here.", valueName: "file"))
    var report: String?

    @Option(help: "Analyse every N minutes (1 = every candle).")
    var step = 1

    @Option(help: "Seed of the random baseline.")
    var seed: UInt64 = 0x5EED

    @Flag(help: ArgumentHelp(
        "Read the futures symbols' derivatives history (funding, premium, open interest, long/short ratio) from the configured database, as the live service reads it, so the sentiment and crypto-metrics heads vote from it."))
    var derivatives = false

    public init() {}

    public func validate() throws {
        guard !klines.isEmpty else { throw ValidationError("give at least one --klines file") }
        guard step >= 1 else { throw ValidationError("--step must be at least 1") }
    }

    public func run() async throws {
        let config = try options.load()
        let series = try KlineFiles.load(klines, market: market)
        let options = BacktestOptions(
            from: try from.map { try ISOInstant.millis($0, option: "--from") },
            to: try to.map { try ISOInstant.millis($0, option: "--to") },
            stepMinutes: step, baselineSeed: seed)
        let stopATR = StopATR(config.signals)
        let backtester = Backtester(
            heads: Heads.all(), consensus: ConsensusRules(config.signals), signals: SignalRules(config.signals), options: options,
            atr: { stopATR($0) })
        let candles = series.values.flatMap { $0 }
        var histories: [String: DerivativesHistory] = [:]
        if derivatives, market == .futures, let first = candles.map(\.openTime).min(), let last = candles.map(\.closeTime).max() {
            let pool = PostgresPool(
                configuration: try PostgresConfiguration(url: config.database.url),
                options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
                logger: Logger(label: "alphapulse.inference"))
            do {
                // Funding samples reach back their window's span before the first candle.
                histories = try await DerivativesStore(postgres: pool).histories(
                    symbols: Array(Set(candles.map(\.symbol))).sorted(), from: first - 5 * 86_400_000, to: last)
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
            FileHandle.standardError.write(Data("derivatives history of \(histories.count) symbol(s) from the database\n".utf8))
        }
        let terminal = isatty(STDERR_FILENO) == 1
        let started = ContinuousClock.now
        let result = backtester.run(candles, derivatives: histories) { fraction in
            guard terminal else { return }
            let width = 30
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\rbacktest [\(bar)] \(Int((fraction * 100).rounded(.down)))%".utf8))
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let elapsed = ContinuousClock.now - started
        print(BacktestTable.render(result, elapsed: elapsed))
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            guard FileManager.default.createFile(atPath: report, contents: try encoder.encode(result)) else {
                throw ValidationError("cannot write \(report)")
            }
        }
    }
}
