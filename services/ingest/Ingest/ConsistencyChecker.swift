import Core
import Logging

/// Every `interval`, looks for 1m candles missing from storage among the symbols this process
/// ingests — a final kline lost to a malformed frame, one that never came, a minute closed
/// while no socket was up — and asks the backfiller for each gap.
///
/// Only minutes that closed more than `settle` ago are checked, and a pass runs only while the
/// pipeline is `quiet` (nothing queued in the sink, refused at its cap, or waiting for the
/// persister), so candles still on their way are never fetched twice and a Redis outage does
/// not make every pass re-fetch the whole outage.
public struct ConsistencyChecker: Sendable {
    let interval: Duration
    let lookback: Int64
    let settle: Int64
    let backfiller: Backfiller
    let sink: KlineSink
    let symbols: @Sendable () -> [Market: Set<String>]
    let quiet: @Sendable () async -> Bool
    /// Gaps among stored 1m open times of a symbol within `from...to`, as inclusive ranges.
    let gaps: @Sendable (Market, String, Int64, Int64) async throws -> [ClosedRange<Int64>]
    let logger: Logger

    public init(
        interval: Duration, lookbackHours: Double, settle: Duration, backfiller: Backfiller, sink: KlineSink,
        symbols: @escaping @Sendable () -> [Market: Set<String>], quiet: @escaping @Sendable () async -> Bool = { true },
        gaps: @escaping @Sendable (Market, String, Int64, Int64) async throws -> [ClosedRange<Int64>], logger: Logger
    ) {
        self.interval = interval
        self.lookback = Int64(lookbackHours * 3_600_000)
        self.settle = settle.components.seconds * 1000 + settle.components.attoseconds / 1_000_000_000_000_000
        self.backfiller = backfiller
        self.sink = sink
        self.symbols = symbols
        self.quiet = quiet
        self.gaps = gaps
        self.logger = logger
    }

    public func run() async throws {
        while true {
            try await Task.sleep(for: interval)
            await check()
        }
    }

    /// One pass over every owned symbol.
    public func check() async {
        guard await quiet() else {
            logger.debug("consistency check skipped: candles are still on their way to storage")
            return
        }
        for (market, names) in symbols() {
            guard let now = sink.exchangeNow(market) else { continue }
            let to = CandleInterval.oneMinute.bucketStart(now - settle) - 60_000
            let from = CandleInterval.oneMinute.bucketStart(max(to - lookback, 0))
            guard from <= to else { continue }
            for symbol in names.sorted() {
                do {
                    for gap in try await gaps(market, symbol, from, to) {
                        logger.info("gap in stored candles; backfilling", metadata: [
                            "market": "\(market.rawValue)", "symbol": "\(symbol)", "gap.from": "\(gap.lowerBound)",
                            "gap.minutes": "\((gap.upperBound - gap.lowerBound) / 60_000 + 1)",
                        ])
                        backfiller.requestRange(market, symbol, from: gap.lowerBound, to: gap.upperBound)
                    }
                } catch {
                    logger.warning("consistency check failed", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
                }
            }
        }
    }
}
