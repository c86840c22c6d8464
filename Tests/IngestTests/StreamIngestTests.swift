import Contracts
import Binance
import CandleStore
import Core
import Foundation
import Logging
import REST
import Redis
import Replay
import Synchronization
import Testing
import TestSupport
@testable import Ingest

/// The WebSocket path against the replay: connections, faults, the Redis sink and backfill.
@Suite struct StreamIngestTests {
    /// Runs the stream side (connections, sink flushing, backfill fed from what reached the
    /// stream) for `seconds`, with `faults` applied while it runs.
    func ingest(
        _ harness: IngestHarness, symbols: [Market: Set<String>], seconds: Double, settings: StreamSlot.Settings = IngestHarness.fastSettings,
        metrics: IngestMetrics = IngestMetrics(), faults: @escaping @Sendable (IngestHarness) async -> Void = { _ in }
    ) async throws -> (IngestMetrics, ConnectionManager) {
        let sink = KlineSink(redis: harness.redis, keys: harness.keys, settings: .init(maxBytes: 1 << 30), metrics: metrics, logger: harness.logger)
        let redis = harness.redis
        let keys = harness.keys
        // "Stored" here is what reached the stream: the persister is not part of this test.
        let backfiller = Backfiller(
            client: RESTClient(configuration: .init(maxRetries: 2)), endpoints: harness.restEndpoints, sink: sink,
            settings: .init(firstCandles: 0, maxLookbackHours: 24), metrics: metrics, logger: harness.logger
        ) { market, symbol in
            let entries = try await redis.xrange(keys.candles, start: "-", end: "+")
            return entries.compactMap { try? CandleEntry.decode($0.fields) }.filter { $0.market == market && $0.symbol == symbol }.map(\.openTime).max()
        }
        let manager = ConnectionManager(
            endpoints: harness.endpoints, limits: [.spot: .spot, .futures: .futures], settings: settings, sink: sink, metrics: metrics,
            logger: harness.logger
        ) { market, symbols in backfiller.requestSinceLastStored(market, symbols) }
        let checker = ConsistencyChecker(
            interval: .seconds(1), lookbackHours: 1, settle: .seconds(120), backfiller: backfiller, sink: sink, symbols: { symbols },
            gaps: { market, symbol, from, to in
                let stored = Set(try await redis.xrange(keys.candles, start: "-", end: "+").compactMap { try? CandleEntry.decode($0.fields) }
                    .filter { $0.market == market && $0.symbol == symbol }.map(\.openTime))
                guard let first = stored.min() else { return [] }
                return Self.gaps(in: stored, from: max(from, first), to: to)
            }, logger: harness.logger)
        let checking = Task { try await checker.run() }
        let flusher = Task {
            while !Task.isCancelled {
                try? await sink.flush()
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let backfilling = Task { try await backfiller.run() }
        manager.apply(symbols)
        await faults(harness)
        try await Task.sleep(for: .seconds(seconds))
        await manager.stop()
        // Let the last gaps fill, then flush.
        #expect(await waitUntil(timeout: .seconds(60)) { backfiller.pending == 0 })
        try await Task.sleep(for: .milliseconds(500))
        checking.cancel()
        await checker.check()
        #expect(await waitUntil(timeout: .seconds(60)) { backfiller.pending == 0 })
        try await Task.sleep(for: .milliseconds(500))
        backfilling.cancel()
        flusher.cancel()
        try await sink.flush()
        return (metrics, manager)
    }

    /// Missing minutes of `stored` within `from...to`, as ranges.
    static func gaps(in stored: Set<Int64>, from: Int64, to: Int64) -> [ClosedRange<Int64>] {
        var result: [ClosedRange<Int64>] = []
        var minute = from
        var start: Int64?
        while minute <= to {
            if stored.contains(minute) {
                if let open = start { result.append(open...(minute - 60_000)) }
                start = nil
            } else if start == nil {
                start = minute
            }
            minute += 60_000
        }
        if let open = start { result.append(open...to) }
        return result
    }

    /// Every minute between the first and the last closed kline received is in the stream,
    /// exactly equal to the replay's own kline, none different twice.
    func expectContiguousAndExact(_ harness: IngestHarness, _ symbols: [Market: Set<String>]) async throws {
        let streamed = try await harness.streamed()
        for (market, names) in symbols {
            for symbol in names {
                let minutes = try #require(streamed[MarketSymbolKey(market: market, symbol: symbol)], "\(symbol): nothing streamed")
                let first = minutes.keys.min()!, last = minutes.keys.max()!
                #expect((last - first) / 60_000 + 1 >= 10, "\(symbol): too few minutes to mean anything")
                let expected = try await harness.expected(market, symbol, from: first, to: last)
                #expect(expected.count == Int((last - first) / 60_000 + 1))
                for kline in expected {
                    guard let got = minutes[kline.openTime] else {
                        Issue.record("\(market.rawValue) \(symbol): minute \(kline.openTime) missing")
                        continue
                    }
                    #expect(
                        [got.open, got.high, got.low, got.close, got.volume, got.quoteVolume, got.takerBuyVolume, got.takerBuyQuoteVolume]
                            == [kline.open.text, kline.high.text, kline.low.text, kline.close.text, kline.volume.text, kline.quoteVolume.text,
                                kline.takerBuyVolume.text, kline.takerBuyQuoteVolume.text] && got.trades == kline.trades
                            && got.closeTime == kline.closeTime,
                        "\(symbol) \(kline.openTime) differs")
                }
            }
        }
    }

    @Test func everyMinuteArrivesDespiteDropsStallsAndBadFrames() async throws {
        // 120 simulated seconds per real second: a closed kline per symbol every half second.
        try await IngestHarness.with("ingest_faults", speed: 120) { (harness: IngestHarness) async throws in
            let markets = try await IngestHarness.markets()
            let futures = Set(markets.futures.symbols.filter { $0.status == "TRADING" && $0.contractType.isEmpty || $0.contractType == "PERPETUAL" }.map(\.symbol).prefix(4))
            let spot = Set(markets.spot.symbols.filter { $0.status == "TRADING" && $0.quoteAsset == "USDT" }.map(\.symbol).prefix(3))
            let symbols: [Market: Set<String>] = [.futures: futures, .spot: spot]
            let counted = IngestMetrics()
            let (metrics, _) = try await ingest(harness, symbols: symbols, seconds: 14, metrics: counted) { harness in
                try? await Task.sleep(for: .seconds(2))
                _ = harness.hub.duplicateKlines(count: 10)
                harness.hub.dropEvery(seconds: 3)
                try? await Task.sleep(for: .seconds(6))
                harness.hub.dropEvery(seconds: 0)
                _ = harness.hub.stall(seconds: 4, connections: 1)
                try? await Task.sleep(for: .seconds(5))
                // Faults reach only live connections, and bad frames scheduled on a connection
                // that is then dropped die with it (CI saw none arrive): they come last, once
                // no more drops are due, on whichever connections are live by then; the ingest
                // then runs on for the test's seconds.
                // Scheduled again until one is counted: a starved machine may drop the connection
                // they were scheduled on before they are sent.
                _ = await waitUntil(timeout: .seconds(90)) {
                    if counted.dropped.values.reduce(0, +) > 0 { return true }
                    _ = harness.hub.malformedFrames(count: 20)
                    try? await Task.sleep(for: .seconds(2))
                    return counted.dropped.values.reduce(0, +) > 0
                }
            }
            try await expectContiguousAndExact(harness, symbols)
            #expect(metrics.totals.reconnects >= 2, "drops every 3 s and a stall must have forced reconnects")
            #expect(metrics.dropped.values.reduce(0, +) >= 1, "malformed frames are counted: \(metrics.dropped)")
            #expect(metrics.backfilled > 0, "gaps from the drops are backfilled")
            // The latest-kline hash of every symbol, and mark prices for futures.
            for symbol in futures {
                #expect(try await harness.redis.hgetall(harness.keys.kline(.futures, symbol))["c"] != nil)
                #expect(try await harness.redis.hgetall(harness.keys.mark(symbol))["r"] != nil)
            }
        }
    }
}
