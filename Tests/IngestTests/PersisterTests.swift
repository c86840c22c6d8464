import CandleStore
import Contracts
import Core
import Foundation
import Logging
import Postgres
import Redis
import Schema
import Synchronization
import Testing
import TestSupport
@testable import Ingest

/// The persister against the real PostgreSQL and Redis of the test run.
@Suite struct PersisterTests {
    static let minute: Int64 = 1_770_004_800_000

    static func row(_ symbol: String, _ index: Int64, high: String = "101.5", low: String = "99.25") -> CandleRow {
        CandleRow(
            market: .futures, symbol: symbol, openTime: minute + index * 60_000, closeTime: minute + index * 60_000 + 59_999, open: "100",
            high: high, low: low, close: "100.5", volume: "12.5", quoteVolume: "1256.25", trades: 42, takerBuyVolume: "6",
            takerBuyQuoteVolume: "603", source: .ws)
    }

    /// A fresh migrated schema, a Redis prefix of the test's own, and a way to start the persister.
    struct Bench {
        let store: CandleStore
        let redis: RedisClient
        let keys: RedisKeys
        let metrics = IngestMetrics()

        func persister(claimIdle: Duration = .seconds(60), store: (@Sendable ([CandleRow]) async throws -> Void)? = nil) -> Persister {
            var logger = Logger(label: "persister.test")
            logger.logLevel = .critical
            let candles = self.store
            return Persister(
                redis: redis, keys: keys, consumer: "test-consumer", settings: .init(batchRows: 100, claimIdle: claimIdle), metrics: metrics,
                logger: logger, store: store ?? { rows in _ = try await candles.upsert(rows) })
        }

        func add(_ fields: [(String, String)]) async throws {
            _ = try await redis.xadd(keys.candles, fields: fields)
        }

        func storedCount() async throws -> Int {
            try await store.postgres.query("SELECT count(*) FROM candles WHERE interval = '1m'").first.map { try $0.decode(0, as: Int.self) } ?? 0
        }
    }

    static func with(_ name: String, _ body: (Bench) async throws -> Void) async throws {
        try await TestStores.with("persister_" + name, connections: 2) { stores in
            try await body(Bench(store: CandleStore(postgres: stores.pool), redis: stores.redis, keys: RedisKeys(prefix: stores.prefix)))
        }
    }

    /// The review's H2: entries that can never be stored go to `candles:dead` with their reason
    /// and fields, are acknowledged, and the rest of their batch is committed and announced.
    @Test func poisonEntriesAreDeadLetteredAndTheRestOfTheBatchIsStored() async throws {
        try await Self.with(#function) { bench in
            for index in 0..<3 { try await bench.add(CandleEntry.encode(Self.row("AUSDT", Int64(index)))) }
            // Decodes, but PostgreSQL refuses it (CHECK high >= low, SQLSTATE 23514).
            try await bench.add(CandleEntry.encode(Self.row("AUSDT", 3, high: "90", low: "99")))
            var nan = CandleEntry.encode(Self.row("AUSDT", 4))
            nan[nan.firstIndex { $0.0 == "o" }!].1 = "nan"
            try await bench.add(nan)
            var negative = CandleEntry.encode(Self.row("AUSDT", 5))
            negative[negative.firstIndex { $0.0 == "n" }!].1 = "-1"
            try await bench.add(negative)
            // A version-1 entry (no `_v`) from a host not yet upgraded is stored.
            try await bench.add(CandleEntry.encode(Self.row("BUSDT", 0)).filter { $0.0 != "_v" })
            try await bench.add(CandleEntry.encode(Self.row("AUSDT", 6)))
            let persister = bench.persister()
            let running = Task { try await persister.run() }
            defer { running.cancel() }
            #expect(await waitUntil { (try? await bench.redis.xlen(bench.keys.candlesDead)) == 3 })
            #expect(await waitUntil { (try? await bench.storedCount()) == 5 })
            #expect(await waitUntil { (try? await bench.redis.xpending(bench.keys.candles, group: RedisKeys.Group.persister).count) == 0 })

            let letters = try await bench.redis.xrange(bench.keys.candlesDead).map { try DeadLetter(fields: StreamFields($0.fields)) }
            #expect(letters.map(\.reason).sorted() == ["bad_field", "bad_field", "refused_by_database"])
            let refused = try #require(letters.first { $0.reason == "refused_by_database" })
            #expect(refused.detail.contains("23514"))
            #expect(refused.originalFields.first { $0.name == "h" }?.value == "90")
            #expect(letters.allSatisfy { $0.stream == bench.keys.candles && $0.consumer == "test-consumer" })
            #expect(bench.metrics.deadLetters == ["bad_field": 2, "refused_by_database": 1])

            let stored = try await bench.store.candles(market: .futures, symbol: "AUSDT", interval: .oneMinute, from: Self.minute, to: Self.minute + 3_600_000)
            #expect(stored.map(\.openTime) == [0, 1, 2, 6].map { Self.minute + $0 * 60_000 })
            // Announced after the commit, per symbol.
            let events = try await bench.redis.xrange(bench.keys.candlesStored).map { try StoredCandles(fields: StreamFields($0.fields)) }
            let covered = Set(events.flatMap { event in stride(from: event.from, through: event.to, by: 60_000).map { "\(event.symbol)@\($0)" } })
            for row in stored { #expect(covered.contains("AUSDT@\(row.openTime)")) }
            #expect(covered.contains("BUSDT@\(Self.minute)"))
            #expect(!events.contains { $0.symbol == "AUSDT" && $0.from <= Self.minute + 3 * 60_000 && $0.to >= Self.minute + 5 * 60_000 && $0.count > 4 })
        }
    }

    /// A failure a retry can fix never dead-letters: while PostgreSQL is unreachable nothing is
    /// acknowledged or dead-lettered, and the persister does not re-claim its own entries
    /// (their delivery count stays 1, the review's M1); once it is back, everything is stored.
    @Test func aDatabaseOutageDeadLettersNothing() async throws {
        try await Self.with(#function) { bench in
            let closedPort = try freePort()
            let down = PostgresPool(
                configuration: try PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:\(closedPort)/postgres"),
                options: .init(minimumConnections: 0, maximumConnections: 1))
            let unreachable = CandleStore(postgres: down)
            let outage = Mutex(true)
            let attempts = Mutex(0)
            let store = bench.store
            for index in 0..<4 { try await bench.add(CandleEntry.encode(Self.row("CUSDT", Int64(index)))) }
            let persister = bench.persister(claimIdle: .seconds(1)) { rows in
                attempts.withLock { $0 += 1 }
                if outage.withLock({ $0 }) { _ = try await unreachable.upsert(rows) } else { _ = try await store.upsert(rows) }
            }
            let running = Task { try await persister.run() }
            defer { running.cancel() }
            // Several failed attempts, spanning more than the claim idle time.
            #expect(await waitUntil(timeout: .seconds(60)) { attempts.withLock { $0 } >= 4 })
            #expect(try await bench.redis.xlen(bench.keys.candlesDead) == 0)
            let pending = try await bench.redis.xpending(bench.keys.candles, group: RedisKeys.Group.persister, count: 100)
            #expect(pending.count == 4)
            #expect(pending.allSatisfy { $0.deliveryCount == 1 }, "the persister claimed its own entries: \(pending.map(\.deliveryCount))")
            #expect(try await bench.storedCount() == 0)
            outage.withLock { $0 = false }
            #expect(await waitUntil(timeout: .seconds(60)) { (try? await bench.storedCount()) == 4 })
            #expect(await waitUntil { (try? await bench.redis.xpending(bench.keys.candles, group: RedisKeys.Group.persister).count) == 0 })
            #expect(try await bench.redis.xlen(bench.keys.candlesDead) == 0)
            await down.close()
        }
    }

    /// The review's L2: a dead consumer with nothing pending is removed; one holding entries
    /// is left (its entries are claimed first).
    @Test func idleConsumersWithNothingPendingAreRemoved() async throws {
        try await Self.with(#function) { bench in
            try await bench.add(CandleEntry.encode(Self.row("DUSDT", 0)))
            _ = try await bench.redis.xgroupCreate(bench.keys.candles, group: RedisKeys.Group.persister, startID: "$")
            // A consumer that read nothing, and one that died holding an entry.
            _ = try await bench.redis.xreadgroup(group: RedisKeys.Group.persister, consumer: "gone-empty", streams: [bench.keys.candles], id: ">", count: 1)
            try await bench.add(CandleEntry.encode(Self.row("DUSDT", 1)))
            _ = try await bench.redis.xreadgroup(group: RedisKeys.Group.persister, consumer: "gone-holding", streams: [bench.keys.candles], id: ">", count: 1)
            try await Task.sleep(for: .seconds(1.2))
            var logger = Logger(label: "persister.test")
            logger.logLevel = .critical
            let candles = bench.store
            let persister = Persister(
                redis: bench.redis, keys: bench.keys, consumer: "live", settings: .init(batchRows: 100, claimIdle: .seconds(1), consumerExpiry: .seconds(1)),
                metrics: bench.metrics, logger: logger) { rows in _ = try await candles.upsert(rows) }
            let running = Task { try await persister.run() }
            defer { running.cancel() }
            #expect(await waitUntil { (try? await bench.storedCount()) == 1 })
            #expect(await waitUntil {
                let names = (try? await bench.redis.xinfoConsumers(bench.keys.candles, group: RedisKeys.Group.persister))?.map(\.name) ?? []
                return !names.contains("gone-empty") && !names.contains("gone-holding")
            })
        }
    }
}
