import Analysis
import Binance
import CandleStore
import Contracts
import Core
import Foundation
import REST
import Replay
import Testing
import TestSupport
@testable import Ingest

/// History deep enough for every head: Binance's own 5m…1d klines stand in for rollups older
/// than the 1m backfill, so they must equal them; and a symbol's first connection brings the
/// 300 candles of each higher interval the heads read.
@Suite struct HistoryBackfillTests {
    /// The replay's klines of `interval` with open times in [from, to), over its REST API.
    static func klines(_ harness: IngestHarness, _ symbol: String, _ interval: CandleInterval, from: Int64, to: Int64) async throws -> [CandleRow] {
        let client = RESTClient(configuration: .init(maxRetries: 2))
        var rows: [CandleRow] = []
        var cursor = from
        while cursor < to {
            let response = try await client.get("http://127.0.0.1:\(harness.port)/fapi/v1/klines", query: [
                ("symbol", symbol), ("interval", interval.rawValue), ("startTime", String(cursor)), ("endTime", String(to - 1)), ("limit", "1000"),
            ])
            let parsed = try response.body.withUnsafeBytes { body in
                try Result { () throws(FrameReject) -> RESTKlines in
                    try RESTKlines.parse(body, symbol: symbol, interval: KlineInterval(interval), market: .futures)
                }.get()
            }
            #expect(parsed.rejected.isEmpty)
            rows += parsed.klines.map { KlineSink.row($0, market: .futures, source: .backfill, interval: interval) }
            guard let last = parsed.klines.last, parsed.klines.count == 1000 else { break }
            cursor = last.openTime + interval.milliseconds
        }
        return rows
    }

    /// Fields that must agree between a candle from Binance and the stored one (not `source`).
    static func values(_ row: CandleRow) -> [String] {
        [String(row.openTime), String(row.closeTime), row.open, row.high, row.low, row.close, row.volume, row.quoteVolume,
         String(row.trades), row.takerBuyVolume, row.takerBuyQuoteVolume]
    }

    /// Two days of real LINKUSDT minutes stored through `CandleStore.upsert` give rollups equal,
    /// field by field and as decimal text, to the klines the replay serves for 5m…1d over the
    /// same days — the condition for mixing Binance's history with our rollups.
    @Test func binancesKlinesOfEachIntervalEqualTheRollupsOfItsMinutes() async throws {
        let futures = try MarketData.load(market: .futures, directories: [Fixtures.futuresArchive("LINKUSDT")])
        let from: Int64 = 1_769_904_000_000 + 19 * 86_400_000  // 2026-02-20 00:00 UTC
        let to = from + 2 * 86_400_000
        try await TestStores.with("history_equal") { stores in
            let store = CandleStore(postgres: stores.pool)
            try await IngestHarness.with(#function, speed: 1, markets: (nil, futures), clock: to + 3 * 86_400_000) { harness in
                let minutes = try await Self.klines(harness, "LINKUSDT", .oneMinute, from: from, to: to)
                #expect(minutes.count == 2 * 1_440)
                try await store.upsert(minutes)
                for interval in CandleStore.derivedIntervals {
                    let binance = try await Self.klines(harness, "LINKUSDT", interval, from: from, to: to)
                    let stored = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: interval, from: from, to: to)
                    #expect(binance.count == Int((to - from) / interval.milliseconds), "\(interval)")
                    #expect(stored.allSatisfy { $0.source == .rollup })
                    #expect(stored.map(Self.values) == binance.map(Self.values), "\(interval)")
                }
            }
        }
    }

    /// The live stream can store a symbol's first minutes before its backfill job comes up (a
    /// long queue at start: `bench suite` found 1,729 of 1,998 symbols without their first
    /// candles). The job still brings the first candles, before the oldest stored minute.
    @Test func firstCandlesComeEvenWhenLiveMinutesWereStoredFirst() async throws {
        // 5 s into a minute: the test is done long before the next one closes.
        let start: Int64 = IngestHarness.start + 17 * 60 * 60_000 + 5_000
        let futures = MarketData.synthetic(market: .futures, count: 1, seed: 6, start: start, days: 1)
        let symbol = try #require(futures.symbols.first?.symbol)
        // As if the live stream had stored the two minutes before the one in progress.
        let minute = CandleInterval.oneMinute.bucketStart(start)
        let first = minute - 2 * 60_000
        try await IngestHarness.with(#function, speed: 1, markets: (nil, futures), clock: start) { harness in
            let metrics = IngestMetrics()
            let sink = KlineSink(redis: harness.redis, keys: harness.keys, settings: .init(maxBytes: 1 << 28), metrics: metrics, logger: harness.logger)
            let backfiller = Backfiller(
                client: RESTClient(configuration: .init(maxRetries: 2)), endpoints: harness.restEndpoints, sink: sink,
                settings: .init(firstCandles: 100, maxLookbackHours: 24), metrics: metrics, logger: harness.logger,
                firstStored: { _, _ in first }
            ) { _, _ in first + 60_000 }
            let manager = ConnectionManager(
                endpoints: harness.endpoints, limits: [.spot: .spot, .futures: .futures], settings: IngestHarness.fastSettings, sink: sink,
                metrics: metrics, logger: harness.logger
            ) { market, symbols in backfiller.requestSinceLastStored(market, symbols) }
            let backfilling = Task { try await backfiller.run() }
            defer { backfilling.cancel() }
            manager.apply([.futures: [symbol]])
            // The 100 minutes up to the last closed one, less the two stored: 98.
            let fetched = await waitUntil(timeout: .seconds(60)) { backfiller.fetched >= 98 }
            #expect(fetched, "fetched \(backfiller.fetched)")
            #expect(await waitUntil { backfiller.pending == 0 })
            #expect((98...99).contains(backfiller.fetched), "only the head (and at most a minute that closed meanwhile)")
            #expect(metrics.backfilled == backfiller.fetched)
            await manager.stop()
        }
    }

    /// A symbol's first connection brings, per higher interval, exactly the newest 300 closed
    /// buckets, equal to Binance's klines; a candle already stored is kept; a second connection
    /// in the same 5 minutes asks Binance for nothing.
    @Test func aNewSymbolGetsTheHistoryEveryHeadReads() async throws {
        // A 5m boundary plus 5 s: the test finishes before the next 5m bucket closes.
        let start: Int64 = IngestHarness.start + 17 * 60 * 60_000 + 5_000
        let futures = MarketData.synthetic(market: .futures, count: 1, seed: 5, start: start, days: 51)
        let symbol = try #require(futures.symbols.first?.symbol)
        let depth = AnalysisWindows.standard.depth.filter { $0.interval != .oneMinute }
        #expect(depth.map(\.interval) == [.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours] && depth.allSatisfy { $0.count == 300 })
        try await TestStores.with("history_new") { stores in
            let store = CandleStore(postgres: stores.pool)
            // A rollup already stored for one 4h bucket, with a trade count of its own.
            let kept = CandleInterval.fourHours.bucketStart(start) - 3 * CandleInterval.fourHours.milliseconds
            try await stores.pool.execute("""
                INSERT INTO candles (market, symbol, interval, open_time, close_time, open, high, low, close, volume, quote_volume,
                                     trades, taker_buy_volume, taker_buy_quote_volume, source)
                VALUES ('futures', \(symbol), '4h', timestamptz 'epoch' + \(kept) * interval '1 millisecond',
                        timestamptz 'epoch' + \(kept + CandleInterval.fourHours.milliseconds - 1) * interval '1 millisecond',
                        1, 2, 1, 2, 1, 1, 1, 0, 0, 'rollup')
                """)
            try await IngestHarness.with(#function, speed: 1, markets: (nil, futures), clock: start) { harness in
                let metrics = IngestMetrics()
                let sink = KlineSink(redis: harness.redis, keys: harness.keys, settings: .init(maxBytes: 1 << 28), metrics: metrics, logger: harness.logger)
                let backfiller = Backfiller(
                    client: RESTClient(configuration: .init(maxRetries: 2)), endpoints: harness.restEndpoints, sink: sink,
                    settings: .init(firstCandles: 0, maxLookbackHours: 24, history: AnalysisWindows.standard.depth), metrics: metrics,
                    logger: harness.logger,
                    historyStore: .init(
                        count: { market, symbol, interval, from, to in try await store.count(market: market, symbol: symbol, interval: interval, from: from, to: to) },
                        insert: { rows in try await store.insertHistory(rows) })
                ) { _, _ in nil }
                let manager = ConnectionManager(
                    endpoints: harness.endpoints, limits: [.spot: .spot, .futures: .futures], settings: IngestHarness.fastSettings, sink: sink,
                    metrics: metrics, logger: harness.logger
                ) { market, symbols in backfiller.requestSinceLastStored(market, symbols) }
                let flusher = Task {
                    while !Task.isCancelled {
                        try? await sink.flush()
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                let backfilling = Task { try await backfiller.run() }
                defer {
                    flusher.cancel()
                    backfilling.cancel()
                }
                manager.apply([.futures: [symbol]])
                func stored(_ interval: CandleInterval) async -> Int {
                    (try? await store.count(market: .futures, symbol: symbol, interval: interval)) ?? -1
                }
                let complete = await waitUntil(timeout: .seconds(60)) {
                    for (interval, count) in depth where await stored(interval) < count { return false }
                    return true
                }
                #expect(complete, "history stored: \(metrics.history)")
                let now = try #require(sink.exchangeNow(.futures))
                for (interval, count) in depth {
                    let width = interval.milliseconds
                    let to = interval.bucketStart(now)
                    let from = to - Int64(count) * width
                    let binance = try await Self.klines(harness, symbol, interval, from: from, to: to)
                    let rows = try await store.candles(market: .futures, symbol: symbol, interval: interval, from: 0, to: 4_000_000_000_000)
                    #expect(rows.count == count, "\(interval): only the newest \(count) closed buckets")
                    #expect(binance.count == count)
                    let expected = binance.filter { !(interval == .fourHours && $0.openTime == kept) }
                    #expect(rows.filter { !(interval == .fourHours && $0.openTime == kept) }.map(Self.values) == expected.map(Self.values), "\(interval)")
                    if interval == .fourHours {
                        let keptRow = rows.first { $0.openTime == kept }
                        #expect(keptRow?.trades == 1 && keptRow?.source == .rollup, "a stored candle is kept")
                    }
                }
                #expect(backfiller.historyRequests == depth.count)
                #expect(metrics.history == depth.reduce(0) { $0 + $1.count } - 1)
                // Reconnecting: every interval is complete, so no request goes out.
                backfiller.requestSinceLastStored(.futures, [symbol])
                #expect(await waitUntil { backfiller.pending == 0 })
                try await Task.sleep(for: .milliseconds(500))
                #expect(backfiller.historyRequests == depth.count)
                await manager.stop()
            }
        }
    }
}
