import Contracts
import Core
import Foundation
import Logging
import Redis
import Testing
import TestSupport
@testable import Ingest

@Suite struct ShardLeaseTests {
    @Test func shardsAreSharedFairlyAndADeadProcesssShardsAreTakenOver() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let keys = RedisKeys(prefix: TestEnvironment.uniqueName("shards") + ":")
        var logger = Logger(label: "shards.test")
        logger.logLevel = .critical
        let a = ShardLeases(redis: redis, keys: keys, shards: 8, ttl: .seconds(1), instance: "a", logger: logger)
        let b = ShardLeases(redis: redis, keys: keys, shards: 8, ttl: .seconds(1), instance: "b", logger: logger)
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
}
