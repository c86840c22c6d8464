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

/// A replay server (synthetic futures and spot markets, its clock running fast) on a free port,
/// and a Redis key prefix of the test's own.
final class IngestHarness: Sendable {
    static let start: Int64 = 1_770_004_800_000  // 2026-02-02 04:00 UTC

    let replay: ReplayState
    let hub: StreamHub
    /// The replay's REST fault injection.
    let restFaults: RESTFaults
    let port: Int
    let redis: RedisClient
    let keys: RedisKeys
    let logger: Logger

    private init(replay: ReplayState, hub: StreamHub, restFaults: RESTFaults, port: Int, redis: RedisClient, keys: RedisKeys, logger: Logger) {
        self.replay = replay
        self.hub = hub
        self.restFaults = restFaults
        self.port = port
        self.redis = redis
        self.keys = keys
        self.logger = logger
    }

    private static let generated = SharedValue("ingest.markets") {
        (spot: MarketData.synthetic(market: .spot, count: 4, seed: 11, start: start, days: 1),
         futures: MarketData.synthetic(market: .futures, count: 6, seed: 11, start: start, days: 1))
    }

    /// The replay's default data, generated once per test process (see `SharedValue`).
    static func markets() async throws -> (spot: MarketData, futures: MarketData) { try await generated.get() }

    /// - Parameter speed: simulated seconds per real second.
    /// - Parameter markets: the replay's data (default `markets`), its clock starting at `clock`.
    static func with(
        _ name: String, speed: Double, options: ReplayOptions = ReplayOptions(), markets: (spot: MarketData?, futures: MarketData?)? = nil,
        clock: Int64 = start, _ body: @Sendable (IngestHarness) async throws -> Void
    ) async throws {
        var logger = Logger(label: "ingest.test")
        logger.logLevel = .critical
        let data: (spot: MarketData?, futures: MarketData?)
        if let markets { data = markets } else { let generated = try await Self.markets(); data = (generated.spot, generated.futures) }
        let state = ReplayState(
            clock: ReplayClock(start: clock, speed: speed), spot: data.spot, futures: data.futures, options: options, logger: logger)
        let bound = Mutex<Int?>(nil)
        let server = ReplayServer.make(state: state, host: "127.0.0.1", port: 0) { port in bound.withLock { $0 = port } }
        let running = Task { try await server.application.run() }
        defer { running.cancel() }
        #expect(await waitUntil { bound.withLock { $0 } != nil })
        let port = try #require(bound.withLock { $0 })
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let prefix = TestEnvironment.uniqueName(name) + ":"
        let harness = IngestHarness(replay: state, hub: server.hub, restFaults: server.restFaults, port: port, redis: redis, keys: RedisKeys(prefix: prefix), logger: logger)
        do {
            try await body(harness)
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }

    private func cleanUp() async {
        hub.stop()
        if let keys = try? await redis.send("KEYS", keys.prefix + "*").array?.compactMap(\.string), !keys.isEmpty {
            _ = try? await redis.delete(keys: keys)
        }
        await redis.close()
    }

    var endpoints: ConnectionManager.Endpoints { .init(spot: "ws://127.0.0.1:\(port)", futures: "ws://127.0.0.1:\(port)/market") }
    var restEndpoints: ConnectionManager.Endpoints { .init(spot: "http://127.0.0.1:\(port)", futures: "http://127.0.0.1:\(port)") }

    static let fastSettings = StreamSlot.Settings(
        connectionSilence: .seconds(2), symbolSilence: .seconds(4), rotateAfter: .seconds(3600), reconnectMin: 0.05, reconnectMax: 0.5)

    /// Every closed kline in the `candles` stream, by market and symbol, keyed by open time
    /// (a repeated minute must carry identical fields).
    func streamed() async throws -> [MarketSymbolKey: [Int64: CandleRow]] {
        var result: [MarketSymbolKey: [Int64: CandleRow]] = [:]
        var start = "-"
        while true {
            let entries = try await redis.xrange(keys.candles, start: start, count: 5_000)
            for entry in entries {
                let candle = try CandleEntry.decode(entry.fields)
                let key = MarketSymbolKey(market: candle.market, symbol: candle.symbol)
                if let seen = result[key]?[candle.openTime] {
                    var other = candle
                    other.source = seen.source
                    #expect(other == seen, "minute \(candle.openTime) of \(candle.symbol) arrived twice with different values")
                }
                result[key, default: [:]][candle.openTime] = candle
            }
            guard entries.count == 5_000, let last = entries.last else { break }
            start = "(" + last.id
        }
        return result
    }

    /// The replay's own 1m klines of `symbol` with open times in `from...to`, over its REST API.
    func expected(_ market: Market, _ symbol: String, from: Int64, to: Int64) async throws -> [KlineUpdate] {
        let client = RESTClient(configuration: .init(maxRetries: 2))
        let path = market == .spot ? "http://127.0.0.1:\(port)/api/v3/klines" : "http://127.0.0.1:\(port)/fapi/v1/klines"
        var result: [KlineUpdate] = []
        var cursor = from
        while cursor <= to {
            let response = try await client.get(path, query: [
                ("symbol", symbol), ("interval", "1m"), ("startTime", String(cursor)), ("endTime", String(to + 59_999)), ("limit", "1000"),
            ])
            let parsed = try response.body.withUnsafeBytes { body in
                try Result { () throws(FrameReject) -> RESTKlines in try RESTKlines.parse(body, symbol: symbol, interval: .oneMinute) }.get()
            }
            result += parsed.klines
            guard let last = parsed.klines.last, parsed.klines.count == 1000 else { break }
            cursor = last.openTime + 60_000
        }
        return result
    }
}

struct MarketSymbolKey: Hashable, Sendable {
    var market: Market
    var symbol: String
}
