import Contracts
import Core
import Foundation
import Logging
import Redis
import Synchronization
import Testing
import TestSupport
@testable import Ingest

@Suite struct ShardLeaseTests {
    @Test func shardsAreSharedFairlyAndADeadProcesssShardsAreTakenOver() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let keys = RedisKeys(prefix: TestEnvironment.uniqueName("shards") + ":")
        var logger = Logger(label: "shards.test")
        logger.logLevel = .critical
        // A frozen local clock: here leases move only through Redis (validity is the next test's subject).
        let a = ShardLeases(redis: redis, keys: keys, shards: 8, ttl: .seconds(1), instance: "a", logger: logger, now: { 0 })
        let b = ShardLeases(redis: redis, keys: keys, shards: 8, ttl: .seconds(1), instance: "b", logger: logger, now: { 0 })
        try await a.balance()
        #expect(a.owned.count == 8, "alone, a process takes every shard")
        try await b.balance()
        // a sees two members and releases its extras; b takes them.
        for _ in 0..<3 {
            try await a.balance()
            try await b.balance()
        }
        #expect(a.owned.count == 4 && b.owned.count == 4)
        #expect(a.owned.isDisjoint(with: b.owned))
        #expect(a.owned.union(b.owned) == Set(0..<8))

        // b dies without releasing anything: within the TTL its member entry and leases expire.
        try await Task.sleep(for: .milliseconds(1_200))
        try await a.balance()
        #expect(a.owned.count == 8, "the dead process's shards are taken over")

        // Every symbol has exactly one shard, stable across calls.
        #expect(ShardLeases.shard(of: "BTCUSDT", market: .futures, shards: 8) == ShardLeases.shard(of: "BTCUSDT", market: .futures, shards: 8))
        let spread = Set(["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "AVAXUSDT", "LINKUSDT", "DOTUSDT", "LTCUSDT"]
            .map { ShardLeases.shard(of: $0, market: .futures, shards: 8) })
        #expect(spread.count >= 4, "symbols spread over shards")
        await a.releaseAll()
        #expect(try await redis.send("KEYS", keys.prefix + "*").array?.isEmpty == true)
        await redis.close()
    }

    /// The review's L6 for shard leases: a renewal error is not a renewal. Shards stay owned
    /// until the TTL, less a tenth, after the last successful renewal's send time, then stop
    /// counting — while Redis still has the keys, and without any renewal answering.
    @Test func aShardRenewedNoMoreStopsCountingAtItsTTL() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let own = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let keys = RedisKeys(prefix: TestEnvironment.uniqueName("shards_l6") + ":")
        var logger = Logger(label: "shards.test")
        logger.logLevel = .critical
        let clock = Mutex<Int64>(1_000)
        let leases = ShardLeases(redis: own, keys: keys, shards: 4, ttl: .seconds(60), instance: "a", logger: logger, now: { clock.withLock { $0 } })
        try await leases.balance()
        #expect(leases.owned == Set(0..<4))
        clock.withLock { $0 = 1_000 + 54_000 - 1 }
        #expect(leases.owned.count == 4, "valid until 60 s less a tenth after the send time")
        // A renewal that succeeds, sent at 31 s, extends validity from its own send time.
        clock.withLock { $0 = 31_000 }
        try await leases.balance()
        clock.withLock { $0 = 31_000 + 54_000 - 1 }
        #expect(leases.owned.count == 4)
        // Redis unreachable for this process: renewals fail, the shards keep their old validity,
        // then stop counting although Redis still holds the keys.
        await own.close()
        await #expect(throws: (any Error).self) { try await leases.balance() }
        #expect(leases.owned.count == 4)
        clock.withLock { $0 = 31_000 + 54_000 }
        #expect(leases.owned.isEmpty, "a renewal error is not a renewal: the shards stop counting at their TTL")
        #expect(try await redis.exists(keys.shardLease(0)) == 1, "while the lease keys still exist in Redis")
        if let names = try await redis.send("KEYS", keys.prefix + "*").array?.compactMap(\.string), !names.isEmpty {
            _ = try await redis.delete(keys: names)
        }
        await redis.close()
    }
}
