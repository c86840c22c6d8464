import Contracts
import Core
import Foundation
@testable import Gateway
import Logging
import Postgres
import Redis
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// The monitor against real PostgreSQL and Redis: alerts raised, written once, published and
/// resolved; a takeover that rebuilds from `alerts`; writes fenced by the epoch; the stale-data
/// drill when klines stop and start again.
@Suite struct MonitorTests {
    /// A monitor on the test's stores, or on `redis` when given (a server the test stops).
    static func monitor(
        _ stores: TestStores, instance: String, settings extra: [String: String] = [:], leaseTTL: Duration = .seconds(120),
        redis: RedisClient? = nil
    ) throws -> Monitor {
        let config = try AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: [
            "metrics.interval_seconds": "1", "alerts.job_lag_raise": "3", "alerts.job_lag_clear": "1", "alerts.job_lag_for_seconds": "0",
        ].merging(extra) { $1 }))
        var settings = try MonitorSettings(config: config)
        settings.leaseTTL = leaseTTL
        let keys = RedisKeys(prefix: stores.prefix)
        let redis = redis ?? stores.redis
        let health = SuiteHealth(redis: redis, keys: keys, expected: [], interval: .seconds(10), ttl: .seconds(30))
        let status = StatusRoutes(postgres: stores.pool, redis: redis, keys: keys, health: health)
        var logger = Logger(label: "monitor.test")
        logger.logLevel = .critical
        return Monitor(
            settings: settings, postgres: stores.pool, redis: redis, keys: keys,
            metrics: SuiteMetrics(postgres: stores.pool, redis: redis, keys: keys, health: health, status: status),
            instance: instance, logger: logger)
    }

    /// Runs `monitor`'s elector until it leads, then one round (which takes the fence); returns
    /// the lease task (cancel it to step down) and the monitor's state.
    static func leading(_ monitor: Monitor) async -> (lease: Task<Void, any Error>, state: Monitor.State) {
        let lease = Task { try await monitor.elector.run() }
        #expect(await waitUntil { monitor.elector.leadership != nil })
        var state = freshState(monitor)
        await monitor.round(&state)
        return (lease, state)
    }

    static func freshState(_ monitor: Monitor) -> Monitor.State {
        Monitor.State(book: AlertBook(rules: monitor.settings.rules), inputs: AlertInputs(windowMillis: monitor.settings.windowMillis, crashMillis: monitor.settings.crashMillis))
    }

    /// Rows of `alerts` for a fingerprint: (resolved, published, resolution published).
    static func rows(_ stores: TestStores, _ fingerprint: String) async throws -> [(resolved: Bool, published: Bool, resolutionPublished: Bool)] {
        try await stores.pool.query("""
            SELECT resolved_at IS NOT NULL, published_at IS NOT NULL, resolution_published_at IS NOT NULL
            FROM alerts WHERE fingerprint = \(fingerprint) ORDER BY id
            """).map { (try $0.decode(0, as: Bool.self), try $0.decode(1, as: Bool.self), try $0.decode(2, as: Bool.self)) }
    }

    final class Feeding: Sendable {
        let on = Mutex(true)
    }

    /// Collects what is published on `alerts`: (fingerprint, state) in order.
    final class Published: Sendable {
        let messages = Mutex<[(fingerprint: String, state: String)]>([])
        let task = Mutex<Task<Void, Never>?>(nil)

        static func start(_ subscriber: RedisSubscriber) -> Published {
            let published = Published()
            let task = Task {
                do {
                    for try await message in subscriber {
                        guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
                              let fingerprint = object["fingerprint"] as? String, let state = object["state"] as? String else { continue }
                        published.messages.withLock { $0.append((fingerprint, state)) }
                    }
                } catch {}
            }
            published.task.withLock { $0 = task }
            return published
        }

        func cancel() { task.withLock { $0?.cancel() } }

        func states(of fingerprint: String) -> [String] {
            messages.withLock { $0.filter { $0.fingerprint == fingerprint }.map(\.state) }
        }
    }

    /// One monitor raises a job-lag alert, writes it once and publishes it; it stops; a second
    /// takes the lease, rebuilds its book from `alerts` (no second row while the lag lasts) and
    /// resolves it when the lag clears.
    @Test func aTakeoverRebuildsFromTheRecordAndResolvesWithoutDuplicating() async throws {
        try await TestStores.with("monitor_takeover") { stores in
            let keys = RedisKeys(prefix: stores.prefix)
            let subscriber = try await stores.redis.subscribe(to: [keys.alerts])
            let published = Published.start(subscriber)
            defer { published.cancel() }
            let first = try Self.monitor(stores, instance: "gw-a")
            let firstLease = Task { try await first.elector.run() }
            #expect(await waitUntil { first.elector.leadership != nil })
            var state = Self.freshState(first)
            await first.round(&state)
            #expect(state.fence == 1)
            _ = try await stores.redis.xgroupCreate(keys.jobs, group: RedisKeys.Group.inference, startID: "0")
            for n in 0..<5 { _ = try await stores.redis.xadd(keys.jobs, fields: [("n", String(n))]) }
            await first.round(&state)
            #expect(try await Self.rows(stores, "job_lag:jobs").map(\.resolved) == [false])
            #expect(try await Self.rows(stores, "job_lag:jobs").first?.published == true)
            #expect(await waitUntil { published.states(of: "job_lag:jobs") == ["firing"] })
            // A sample went to the history too.
            let history = try await stores.redis.lrange(keys.metricsHistory, start: 0, stop: -1)
            #expect(history.count == 2)
            #expect(history.allSatisfy { ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["score"] is Int })

            firstLease.cancel()
            _ = await firstLease.result
            let second = try Self.monitor(stores, instance: "gw-b")
            let secondLease = Task { try await second.elector.run() }
            defer { secondLease.cancel() }
            #expect(await waitUntil { second.elector.leadership != nil })
            var takeover = Self.freshState(second)
            await second.round(&takeover)
            await second.round(&takeover)
            #expect(takeover.fence == 2)
            #expect(takeover.book.firing == ["job_lag:jobs"])
            #expect(try await Self.rows(stores, "job_lag:jobs").count == 1)

            _ = try await stores.redis.delete(keys.jobs)
            await second.round(&takeover)
            let rows = try await Self.rows(stores, "job_lag:jobs")
            #expect(rows.count == 1 && rows[0].resolved && rows[0].resolutionPublished)
            #expect(await waitUntil { published.states(of: "job_lag:jobs") == ["firing", "resolved"] })
        }
    }

    /// A Redis outage is seen although the client would keep retrying its reconnects far longer
    /// (two minutes here): the monitor's probe is bounded, so the leader raises
    /// `store_unreachable:redis` during the outage and resolves it once Redis is back.
    @Test func aRedisOutageShorterThanTheClientsRetryWindowIsRaised() async throws {
        try await TestStores.with("monitor_redis_outage") { stores in
            try await PrivateRedis.with { server in
                var configuration = try RedisConfiguration(url: server.url())
                configuration.reconnectTimeout = .seconds(120)
                let redis = RedisClient(configuration: configuration)
                defer { Task { await redis.close() } }
                let monitor = try Self.monitor(stores, instance: "gw-outage", settings: ["alerts.store_unreachable_for_seconds": "0"], redis: redis)
                var (lease, state) = await Self.leading(monitor)
                defer { lease.cancel() }
                #expect(state.fence == 1)

                await server.stop()
                // Each round returns within its probe (1 s), not after the client's two minutes.
                let round = Task { [state] in
                    var state = state
                    await monitor.round(&state)
                    return state
                }
                let finished = await waitUntil(timeout: .seconds(60)) { (try? await Self.rows(stores, "store_unreachable:redis"))?.count == 1 }
                #expect(finished, "the outage was not raised while Redis was down")
                state = await round.value
                #expect(state.book.firing.contains("store_unreachable:redis"))

                try await server.start()
                await monitor.round(&state)
                #expect(try await Self.rows(stores, "store_unreachable:redis").map(\.resolved) == [true])
            }
        }
    }

    /// A monitor whose fence a newer one has taken writes nothing and stands down, even though
    /// its Redis lease has not lapsed yet.
    @Test func aMonitorFencedOffInPostgreSQLWritesNothing() async throws {
        try await TestStores.with("monitor_fenced") { stores in
            let keys = RedisKeys(prefix: stores.prefix)
            let monitor = try Self.monitor(stores, instance: "gw-old")
            var (lease, state) = await Self.leading(monitor)
            defer { lease.cancel() }
            #expect(state.fence == 1)
            _ = try await stores.pool.execute("UPDATE lease_fences SET epoch = epoch + 1, holder = 'gw-new' WHERE name = 'monitor'")
            _ = try await stores.redis.xgroupCreate(keys.jobs, group: RedisKeys.Group.inference, startID: "0")
            for n in 0..<5 { _ = try await stores.redis.xadd(keys.jobs, fields: [("n", String(n))]) }
            await monitor.round(&state)
            #expect(try await Self.rows(stores, "job_lag:jobs").isEmpty)
            #expect(state.fence == nil)
            #expect(monitor.elector.leadership == nil)
        }
    }

    /// The drill: while klines arrive nothing is stale; when they stop (ingest killed) every
    /// tracked symbol's stale-data alert is raised, written and published; when they resume
    /// (ingest restarted) each is resolved. The monitor runs its own loop here.
    @Test func staleDataIsRaisedWhenKlinesStopAndResolvedWhenTheyResume() async throws {
        try await TestStores.with("monitor_stale") { stores in
            let keys = RedisKeys(prefix: stores.prefix)
            _ = try await stores.pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct) VALUES
                  ('futures', 'BTCUSDT', 'BTC', 1, 1, 1, 0), ('spot', 'ETHUSDT', 'ETH', 2, 1, 1, 0)
                """)
            let subscriber = try await stores.redis.subscribe(to: [keys.alerts])
            let published = Published.start(subscriber)
            defer { published.cancel() }
            // Ingest's part: each symbol's latest kline event time, advancing with the exchange clock.
            let feeding = Feeding()
            let redis = stores.redis
            let feeder = Task {
                var now: Int64 = 1_767_225_600_000
                while !Task.isCancelled {
                    if feeding.on.withLock({ $0 }) {
                        now += 250
                        _ = try? await redis.hset(keys.kline(.futures, "BTCUSDT"), fields: [("E", String(now))])
                        _ = try? await redis.hset(keys.kline(.spot, "ETHUSDT"), fields: [("E", String(now))])
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            defer { feeder.cancel() }
            let monitor = try Self.monitor(stores, instance: "gw-drill", settings: [
                "alerts.stale_data_raise_seconds": "3", "alerts.stale_data_clear_seconds": "1",
            ])
            let running = Task { try await monitor.run() }
            defer { running.cancel() }
            #expect(await waitUntil { monitor.rounds.withLock { $0 } >= 2 })

            feeding.on.withLock { $0 = false }
            let fingerprints = ["stale_data:futures:BTCUSDT", "stale_data:spot:ETHUSDT"]
            for fingerprint in fingerprints {
                #expect(await waitUntil { (try? await Self.rows(stores, fingerprint).contains { !$0.resolved && $0.published }) == true })
                #expect(await waitUntil { published.states(of: fingerprint).last == "firing" })
            }
            let firing = try await stores.pool.query("SELECT severity, message FROM alerts WHERE resolved_at IS NULL AND rule = 'stale_data'")
            #expect(firing.count == 2)
            #expect(try firing.allSatisfy { try $0.decode(0, as: String.self) == "warning" && $0.decode(1, as: String.self).contains("no kline") })

            feeding.on.withLock { $0 = true }
            for fingerprint in fingerprints {
                #expect(await waitUntil { (try? await Self.rows(stores, fingerprint).allSatisfy { $0.resolved && $0.resolutionPublished }) == true })
                #expect(await waitUntil { published.states(of: fingerprint).last == "resolved" })
            }
        }
    }
}

extension MonitorTests {
    /// `crashed` per instance while its latest unclean exit is recent (the heartbeat's
    /// `crashed_at`, on Redis's clock), resolved once it is not; `binance_unavailable` when the
    /// instances' Binance 5xx counters rose by the threshold within the window.
    @Test func uncleanExitsAndBinanceServerErrorsRaiseTheirAlerts() async throws {
        try await TestStores.with("monitor_crashed") { stores in
            let keys = RedisKeys(prefix: stores.prefix)
            let monitor = try Self.monitor(stores, instance: "gw-a", settings: ["alerts.binance_unavailable_raise": "3"])
            let crashWindow = monitor.settings.crashMillis
            // The window (300 s) is longer than twice the lease (2 × 120 s).
            #expect(crashWindow == 300_000)
            let (lease, started) = await Self.leading(monitor)
            defer { lease.cancel() }
            var state = started
            func beat(_ service: String, _ instance: String, _ fields: [(String, String)]) async throws {
                let name = keys.health(service, instance)
                _ = try await stores.redis.delete(name)
                _ = try await stores.redis.hset(name, fields: [
                    (SchemaVersion.field, "2"), (HeartbeatField.service, service), (HeartbeatField.instance, instance),
                    (HeartbeatField.status, "ready"),
                ] + fields)
                _ = try await stores.redis.pexpire(name, after: .seconds(600))
            }
            let now = try await stores.redis.time()
            // Killed and restarted a second ago; another long ago; a third never.
            try await beat("ingest", "h-ingest", [(HeartbeatField.crashes, "2"), (HeartbeatField.crashedAt, String(now - 1_000)),
                                                  (HeartbeatField.binance5xx, "10")])
            try await beat("inference", "h-inference", [(HeartbeatField.crashes, "1"), (HeartbeatField.crashedAt, String(now - crashWindow - 5_000))])
            try await beat("symbols", "h-symbols", [(HeartbeatField.crashes, "0"), (HeartbeatField.binance5xx, "0")])
            await monitor.round(&state)
            #expect(try await Self.rows(stores, "crashed:ingest/h-ingest").map(\.resolved) == [false])
            #expect(try await Self.rows(stores, "crashed:inference/h-inference").isEmpty)
            #expect(try await Self.rows(stores, "crashed:symbols/h-symbols").isEmpty)
            // The first reading of a counter is its baseline: no 5xx alert yet.
            #expect(try await Self.rows(stores, "binance_unavailable:5xx").isEmpty)

            // Two more 5xx answers: below the threshold of 3.
            try await beat("symbols", "h-symbols", [(HeartbeatField.crashes, "0"), (HeartbeatField.binance5xx, "2")])
            await monitor.round(&state)
            #expect(try await Self.rows(stores, "binance_unavailable:5xx").isEmpty)
            // One more, on another instance: 3 within the window.
            try await beat("ingest", "h-ingest", [(HeartbeatField.crashes, "2"), (HeartbeatField.crashedAt, String(now - 1_000)),
                                                  (HeartbeatField.binance5xx, "11")])
            await monitor.round(&state)
            #expect(try await Self.rows(stores, "binance_unavailable:5xx").map(\.resolved) == [false])

            // The unclean exit ages out of the window: resolved.
            try await beat("ingest", "h-ingest", [(HeartbeatField.crashes, "2"), (HeartbeatField.crashedAt, String(now - crashWindow - 1)),
                                                  (HeartbeatField.binance5xx, "11")])
            await monitor.round(&state)
            #expect(try await Self.rows(stores, "crashed:ingest/h-ingest").map(\.resolved) == [true])
        }
    }
}
