import Contracts
import Core
import Foundation
import Logging
import Postgres
import REST
import Redis
import Replay
import Schema
import Synchronization
import Testing
import TestSupport
@testable import Symbols

/// A replay server with synthetic spot and futures markets (traps included) on a free port,
/// a private PostgreSQL schema and a private Redis key prefix, for one test.
final class SymbolsHarness: Sendable {
    static let start: Int64 = 1_770_004_800_000  // 2026-02-02 04:00 UTC
    /// Stablecoin and fiat bases of the synthetic markets, as the tests' own list.
    static let stablecoins: Set<String> = ["USDC", "FDUSD", "TUSD"]

    let replay: ReplayState
    /// The replay's data: `markets`' synthetic spot and futures.
    let data: (spot: MarketData, futures: MarketData)
    let faults: RESTFaults
    let baseURL: String
    let postgres: PostgresPool
    let redis: RedisClient
    let prefix: String
    let schema: String

    private init(replay: ReplayState, data: (spot: MarketData, futures: MarketData), faults: RESTFaults, baseURL: String, postgres: PostgresPool, redis: RedisClient, prefix: String, schema: String) {
        self.replay = replay
        self.data = data
        self.faults = faults
        self.baseURL = baseURL
        self.postgres = postgres
        self.redis = redis
        self.prefix = prefix
        self.schema = schema
    }

    /// The synthetic markets are generated once per test process (see `SharedValue`).
    static let markets = SharedValue("symbols.markets") {
        (spot: MarketData.synthetic(market: .spot, count: 40, seed: 7, start: start, days: 1),
         futures: MarketData.synthetic(market: .futures, count: 30, seed: 7, start: start, days: 1))
    }

    static func with(_ name: String, _ body: @Sendable (SymbolsHarness) async throws -> Void) async throws {
        var logger = Logger(label: "symbols.test")
        logger.logLevel = .critical
        let markets = try await markets.get()
        let state = ReplayState(
            clock: ReplayClock(start: start, speed: 0), spot: markets.spot, futures: markets.futures,
            options: ReplayOptions(), logger: logger)
        let port = Mutex<Int?>(nil)
        let server = ReplayServer.make(state: state, host: "127.0.0.1", port: 0) { bound in port.withLock { $0 = bound } }
        let running = Task { try await server.application.run() }
        defer { running.cancel() }
        #expect(await waitUntil { port.withLock { $0 } != nil })
        let bound = try #require(port.withLock { $0 })

        let url = try TestEnvironment.databaseURL()
        let schema = TestEnvironment.uniqueName(name)
        let admin = PostgresPool(configuration: try PostgresConfiguration(url: url), options: .init(minimumConnections: 0, maximumConnections: 1))
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        let target = url + (url.contains("?") ? "&" : "?") + "search_path=" + schema
        let postgres = PostgresPool(configuration: try PostgresConfiguration(url: target), options: .init(minimumConnections: 0, maximumConnections: 6))
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let harness = SymbolsHarness(
            replay: state, data: markets, faults: server.restFaults, baseURL: "http://127.0.0.1:\(bound)", postgres: postgres, redis: redis,
            prefix: schema + ":", schema: schema)
        do {
            _ = try await Schema.migrator().migrate(postgres)
            try await body(harness)
        } catch {
            await harness.cleanUp(admin: admin)
            throw error
        }
        await harness.cleanUp(admin: admin)
    }

    private func cleanUp(admin: PostgresPool) async {
        faults.clear()
        await postgres.close()
        if let keys = try? await redis.send("KEYS", prefix + "*").array?.compactMap(\.string), !keys.isEmpty {
            _ = try? await redis.delete(keys: keys)
        }
        await redis.close()
        _ = try? await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
    }

    /// A refresher against the replay. The REST client neither retries nor waits out a 429,
    /// so failures show at once.
    func refresher(futures: Int = 10, spot: Int = 12, timeout: Duration = .seconds(60)) -> SymbolRefresher {
        var logger = Logger(label: "symbols.test")
        logger.logLevel = .critical
        let client = RESTClient(
            configuration: .init(timeout: timeout, connectTimeout: .seconds(30), maxRetries: 0, maxRetryAfterWait: .zero),
            logger: logger)
        return SymbolRefresher(
            source: BinanceSymbolsSource(client: client, spotURL: baseURL, futuresURL: baseURL),
            store: SymbolStore(postgres: postgres), cache: SymbolCache(redis: redis, prefix: prefix),
            eligibility: Eligibility(excludedBases: Self.stablecoins.union(["BUSD", "DAI", "EUR"])),
            counts: [.futures: futures, .spot: spot], logger: logger)
    }

    /// The replay's own answer to "which symbols should be tracked now", computed from its
    /// data without the service's code: eligibility from the symbol definitions, ranking by
    /// exact decimal quote volume.
    func expectedRanking(_ market: Market, count: Int) -> [String] {
        let data = market == .spot ? self.data.spot : self.data.futures
        let eligible = Set(data.symbols.filter { info in
            info.status == "TRADING" && info.quoteAsset == "USDT" && !Self.stablecoins.contains(info.baseAsset)
                && !info.permissions.contains("LEVERAGED")
                && (market == .spot ? info.isSpotTradingAllowed : (info.contractType.isEmpty || info.contractType == "PERPETUAL"))
        }.map(\.symbol))
        let tickers = data.tickers24h(now: replay.clock.nowMillis()).filter { eligible.contains($0.symbol) }
        let ordered = tickers.sorted { lhs, rhs in
            let left = Decimal(string: lhs.quoteVolume)!, right = Decimal(string: rhs.quoteVolume)!
            return left != right ? left > right : lhs.symbol < rhs.symbol
        }
        return ordered.prefix(count).map(\.symbol)
    }

    /// Everything a failed refresh must leave alone.
    struct Snapshot: Equatable {
        var tracked: [String]
        var history: [String]
        var versions: [String]
        var cache: String?
    }

    func snapshot() async throws -> Snapshot {
        func rows(_ query: PostgresQuery) async throws -> [String] {
            try await postgres.query(query).map { try $0.decode(0, as: String.self) }
        }
        return Snapshot(
            tracked: try await rows("SELECT concat_ws('|', market, symbol, rank, quote_volume_24h, is_active, updated_at) FROM tracked_symbols ORDER BY 1"),
            history: try await rows("SELECT concat_ws('|', snapshot_at, market, symbol, rank) FROM tracked_symbols_history ORDER BY 1"),
            versions: try await rows("SELECT concat_ws('|', version, added, removed) FROM symbol_list_versions ORDER BY 1"),
            cache: try await redis.get(prefix + "symbols"))
    }

    func activeSymbols(_ market: Market) async throws -> [String] {
        try await SymbolStore(postgres: postgres).active(market: market).map(\.symbol)
    }
}

/// Collects `symbols:changed` messages; a sentinel published by the test marks "everything
/// published before this point has arrived", so "nothing was published" is checked without
/// waiting on a timer.
final class ChangeListener: Sendable {
    let subscriber: RedisSubscriber
    let redis: RedisClient
    let channel: String

    init(harness: SymbolsHarness) async throws {
        channel = harness.prefix + "symbols:changed"
        redis = harness.redis
        subscriber = try await harness.redis.subscribe(to: [channel])
    }

    /// Every message published before this call, in order.
    func drain() async throws -> [SymbolCache.ChangeMessage] {
        let sentinel = "sentinel-\(UInt64.random(in: 0...UInt64.max))"
        _ = try await redis.publish(sentinel, to: channel)
        var messages: [SymbolCache.ChangeMessage] = []
        let watchdog = Task {
            try await Task.sleep(for: .seconds(20))
            await subscriber.close()
        }
        defer { watchdog.cancel() }
        for try await message in subscriber {
            if message.string == sentinel { return messages }
            messages.append(try JSONDecoder().decode(SymbolCache.ChangeMessage.self, from: Data(message.payload)))
        }
        Issue.record("the sentinel never arrived")
        return messages
    }

    func close() async { await subscriber.close() }
}
