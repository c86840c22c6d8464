import Binance
import Contracts
import Core
import Logging
import Redis
import Synchronization
import Testing
import TestSupport
@testable import Ingest

/// The review's H1: a Redis outage must not grow ingest's memory without bound.
@Suite struct SinkOutageTests {
    static let start: Int64 = 1_770_004_800_000

    static func closedKline(_ symbol: String, minute: Int64) -> KlineUpdate {
        let openTime = start + minute * 60_000
        return KlineUpdate(
            symbol: symbol, interval: .oneMinute, openTime: openTime, closeTime: openTime + 59_999, eventTime: openTime + 60_000,
            firstTradeID: nil, lastTradeID: nil, open: ExactDecimal("101.25")!, high: ExactDecimal("102.5")!, low: ExactDecimal("100.75")!,
            close: ExactDecimal("101.5")!, volume: ExactDecimal("1234.5678")!, quoteVolume: ExactDecimal("125000.12345")!,
            takerBuyVolume: ExactDecimal("600.1")!, takerBuyQuoteVolume: ExactDecimal("60800.5")!, trades: 321, isClosed: true)
    }

    /// Ten minutes of 1,000 symbols' closed klines arrive while Redis is down: the sink's own
    /// accounting never passes its cap, and after Redis returns every minute is either in the
    /// `candles` stream or handed to the backfill — none is lost.
    @Test func aRedisOutageStaysUnderTheCapAndLosesNoMinute() async throws {
        try await PrivateRedis.with { server in
            var configuration = try RedisConfiguration(url: server.url())
            // A flush against the stopped server fails at once instead of waiting to reconnect.
            configuration.reconnectTimeout = .milliseconds(200)
            let redis = RedisClient(configuration: configuration)
            let keys = RedisKeys(prefix: "sink_outage:")
            var logger = Logger(label: "sink.test")
            logger.logLevel = .critical
            let metrics = IngestMetrics()
            let cap = 2 << 20
            let sink = KlineSink(redis: redis, keys: keys, settings: .init(maxBytes: cap, maxCommands: 2000), metrics: metrics, logger: logger)
            let handedOver = Mutex<[String: [ClosedRange<Int64>]]>([:])
            sink.onOverflow { _, symbol, range in handedOver.withLock { $0[symbol, default: []].append(range) } }
            let symbols = (0..<1000).map { "S\($0)USDT" }

            await server.stop()
            var peak = 0
            for minute in 0..<10 {
                for symbol in symbols {
                    sink.kline(Self.closedKline(symbol, minute: Int64(minute)), market: .futures)
                    peak = max(peak, sink.heldBytes)
                }
                await #expect(throws: (any Error).self) { try await sink.flush() }
                peak = max(peak, sink.heldBytes)
            }
            #expect(peak <= cap)
            #expect(peak > cap / 2, "the test must fill the cap to mean anything")
            #expect(metrics.dropped["sink_full", default: 0] > 0)
            #expect(!sink.accepting)

            try await server.start()
            var rounds = 0
            while !sink.isDrained || sink.backlog > 0 {
                rounds += 1
                try #require(rounds < 1000)
                do { try await sink.flush() } catch { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(sink.heldBytes == 0)
            #expect(sink.accepting)

            var inRedis = Set<String>()
            for entry in try await redis.xrange(keys.candles) {
                let row = try CandleEntry.decode(entry.fields)
                inRedis.insert("\(row.symbol)@\(row.openTime)")
            }
            let ranges = handedOver.withLock { $0 }
            var missing = 0
            for symbol in symbols {
                for minute in 0..<10 {
                    let openTime = Self.start + Int64(minute) * 60_000
                    if !inRedis.contains("\(symbol)@\(openTime)") && !(ranges[symbol] ?? []).contains(where: { $0.contains(openTime) }) { missing += 1 }
                }
            }
            #expect(missing == 0)
            #expect(!inRedis.isEmpty && !ranges.isEmpty)
            await redis.close()
        }
    }

    /// The review's M6: a wrong-typed key makes its own command fail; the rest of the batch is
    /// written, the failure is counted, and nothing is re-sent.
    @Test func aCommandRedisRefusesIsSkippedAndTheRestIsWritten() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let keys = RedisKeys(prefix: TestEnvironment.uniqueName("sink_wrongtype") + ":")
        var logger = Logger(label: "sink.test")
        logger.logLevel = .critical
        let metrics = IngestMetrics()
        let sink = KlineSink(redis: redis, keys: keys, settings: .init(maxBytes: 1 << 24), metrics: metrics, logger: logger)
        _ = try await redis.set(keys.kline(.futures, "AUSDT"), to: "not a hash")
        sink.kline(Self.closedKline("AUSDT", minute: 0), market: .futures)
        sink.kline(Self.closedKline("BUSDT", minute: 0), market: .futures)
        await #expect(throws: (any Error).self) { try await sink.flush() }
        #expect(metrics.commandErrors == 1)
        #expect(try await redis.xlen(keys.candles) == 2)
        #expect(try await redis.send("HGET", keys.kline(.futures, "BUSDT"), "c").string == "101.5")
        // Nothing left to re-send: the next flush writes nothing again.
        try await sink.flush()
        #expect(try await redis.xlen(keys.candles) == 2)
        #expect(sink.isDrained)
        _ = try await redis.delete(keys: [keys.kline(.futures, "AUSDT"), keys.kline(.futures, "BUSDT"), keys.candles])
        await redis.close()
    }
}
