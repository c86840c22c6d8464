import Core
import Foundation
import REST
import Replay
import Testing
import TestSupport
@testable import Ingest

/// `ingest.backfill_concurrency`: a first backfill of thousands of symbols is worked by several
/// workers, never two on one symbol, so a symbol's jobs still run one after another.
@Suite struct BackfillWorkersTests {
    @Test func workersTakeDistinctSymbolsInQueueOrder() async throws {
        // 5 s into a minute: the test is done long before the next one closes.
        let start: Int64 = IngestHarness.start + 17 * 60 * 60_000 + 5_000
        let futures = MarketData.synthetic(market: .futures, count: 2, seed: 8, start: start, days: 1)
        let symbols = futures.symbols.map(\.symbol).sorted()
        try #require(symbols.count >= 2)
        let (a, b) = (symbols[0], symbols[1])
        let minute = CandleInterval.oneMinute.bucketStart(start)
        try await IngestHarness.with(#function, speed: 1, markets: (nil, futures), clock: start) { harness in
            let metrics = IngestMetrics()
            let sink = KlineSink(redis: harness.redis, keys: harness.keys, settings: .init(maxBytes: 1 << 28), metrics: metrics, logger: harness.logger)
            let backfiller = Backfiller(
                client: RESTClient(configuration: .init(maxRetries: 2)), endpoints: harness.restEndpoints, sink: sink,
                settings: .init(firstCandles: 100, maxLookbackHours: 24, concurrency: 2), metrics: metrics, logger: harness.logger
            ) { _, _ in nil }
            let manager = ConnectionManager(
                endpoints: harness.endpoints, limits: [.spot: .spot, .futures: .futures], settings: IngestHarness.fastSettings, sink: sink,
                metrics: metrics, logger: harness.logger
            ) { _, _ in }
            // Binance hangs: the workers stay on the jobs they took.
            harness.restFaults.hang(for: 120)
            defer { harness.restFaults.clear() }
            // Queued: an older gap of A (100 minutes), then A's and B's first candles (100 each).
            backfiller.requestRange(.futures, a, from: minute - 300 * 60_000, to: minute - 201 * 60_000)
            backfiller.requestSinceLastStored(.futures, [a, b])
            let backfilling = Task { try await backfiller.run() }
            defer { backfilling.cancel() }
            manager.apply([.futures: [a, b]])
            // Two workers: A's gap and, A being taken, B's job; A's second job waits for A.
            let both = await waitUntil(timeout: .seconds(30)) {
                backfiller.workingSymbols == ["futures \(a)", "futures \(b)"] && backfiller.pending == 1
            }
            #expect(both, "working \(backfiller.workingSymbols), pending \(backfiller.pending)")
            #expect(backfiller.fetched == 0)
            harness.restFaults.clear()
            #expect(await waitUntil(timeout: .seconds(60)) { backfiller.fetched == 300 && backfiller.pending == 0 && backfiller.working == 0 },
                    "fetched \(backfiller.fetched)")
            #expect(metrics.backfilled == 300)
            await manager.stop()
        }
    }
}

extension BackfillWorkersTests {
    /// Half the workers per market while both have jobs waiting: futures waiting for their
    /// weight budget do not hold up the spot jobs queued behind them; one market alone gets
    /// every worker.
    @Test func eachMarketGetsHalfTheWorkersWhileBothHaveJobs() {
        var queue = Backfiller.Queue()
        let futures = (1...4).map { Backfiller.Job(market: .futures, symbol: "F\($0)USDT") }
        let spot = (1...2).map { Backfiller.Job(market: .spot, symbol: "S\($0)USDT") }
        queue.jobs = futures + spot
        let taken = (0..<4).compactMap { _ in queue.take(width: 4) }
        #expect(taken.map(\.symbol) == ["F1USDT", "F2USDT", "S1USDT", "S2USDT"])
        #expect(queue.take(width: 4) == nil, "every worker busy")
        // A spot worker is done: no spot job waits, so futures take its place.
        queue.finish(taken[2])
        #expect(queue.take(width: 4)?.symbol == "F3USDT")
        queue.finish(taken[0])
        queue.finish(taken[1])
        #expect(queue.take(width: 4)?.symbol == "F4USDT")
        #expect(queue.take(width: 4) == nil, "the queue is empty")
        #expect(queue.working == [.futures: 2, .spot: 1])
    }
}
