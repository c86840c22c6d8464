import Contracts
import Core
import Foundation
import Logging
import Redis
import ServiceRuntime
import Synchronization

/// Shares the symbols out among ingest processes. Each symbol belongs to one of `shards`
/// shards (a stable hash of market and symbol); each shard is held by one process through the
/// lease `{prefix}lease:ingest:shard:{n}`. Live processes register in the sorted set
/// `{prefix}ingest:members` (score: expiry in ms); each aims for its fair share,
/// ceil(shards / live processes), taking free shards and releasing extras so a newcomer gets
/// some. A dead process's leases expire after the TTL and are taken by the others.
///
/// A renewal error is not a renewal (the review's L6): a shard counts as owned only until its
/// TTL, less a tenth, has passed since the send time of its last successful acquire or renewal
/// (monotonic clock). A process cut off from Redis stops streaming its shards by the time
/// another may take them.
public final class ShardLeases: Sendable {
    let redis: RedisClient
    let keys: RedisKeys
    let shards: Int
    let ttl: Duration
    let instance: String
    let logger: Logger
    let now: @Sendable () -> Int64
    private let held = Mutex<[Int: (lease: RedisLease, validUntil: Int64)]>([:])

    /// - Parameter now: a monotonic clock in ms (injected by tests).
    public init(
        redis: RedisClient, keys: RedisKeys, shards: Int, ttl: Duration, instance: String, logger: Logger,
        now: @escaping @Sendable () -> Int64 = MonotonicMillis.now
    ) {
        self.now = now
        self.redis = redis
        self.keys = keys
        self.shards = shards
        self.ttl = ttl
        self.instance = instance
        self.logger = logger
    }

    /// The shard of a symbol: FNV-1a of "market:symbol", stable across processes and versions.
    public static func shard(of symbol: String, market: Market, shards: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(market.rawValue):\(symbol)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(shards))
    }

    /// Shards held now: those whose validity has not run out.
    public var owned: Set<Int> {
        let now = now()
        return Set(held.withLock { $0.filter { $0.value.validUntil > now }.keys })
    }

    private var ttlMillis: Int64 { ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000 }

    /// One round: registers as live, renews held leases, then takes or releases shards towards
    /// the fair share. Returns whether the owned set changed.
    @discardableResult
    public func balance() async throws -> Bool {
        let before = owned
        let sent = self.now()
        let validUntil = sent + ttlMillis - ttlMillis / 10
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let replies = try await redis.pipeline(commands: [
            ["ZADD", RedisArgument(keys.ingestMembers), RedisArgument(now + ttlMillis), RedisArgument(instance)],
            ["ZREMRANGEBYSCORE", RedisArgument(keys.ingestMembers), "-inf", RedisArgument(now)],
            ["ZCARD", RedisArgument(keys.ingestMembers)],
        ])
        for reply in replies { _ = try reply.checked() }
        let members = max(1, replies[2].int ?? 1)
        let target = (shards + members - 1) / members

        for (shard, entry) in held.withLock({ $0 }) {
            if try await redis.renewLease(entry.lease) {
                held.withLock { $0[shard]?.validUntil = validUntil }
            } else {
                _ = held.withLock { $0.removeValue(forKey: shard) }
                logger.warning("lost an ingest shard", metadata: ["shard": "\(shard)"])
            }
        }
        var current = held.withLock { $0 }
        if current.count > target {
            for shard in current.keys.sorted().suffix(current.count - target) {
                if let entry = current[shard] { _ = try? await redis.releaseLease(entry.lease) }
                current[shard] = nil
            }
        } else if current.count < target {
            // Start at an instance-specific shard so processes do not all race for shard 0.
            let start = Self.shard(of: instance, market: .spot, shards: shards)
            for offset in 0..<shards where current.count < target {
                let shard = (start + offset) % shards
                guard current[shard] == nil else { continue }
                if let lease = try await redis.acquireLease(keys.shardLease(shard), ttl: ttl, token: instance + "-" + RedisClient.randomToken()) {
                    current[shard] = (lease, validUntil)
                }
            }
        }
        held.withLock { $0 = current }
        let after = owned
        if after != before {
            logger.info("ingest shards changed", metadata: ["shards.owned": "\(after.count)", "shards.target": "\(target)", "members": "\(members)"])
        }
        return after != before
    }

    /// Releases every lease and leaves the member set (graceful shutdown).
    public func releaseAll() async {
        let leases = held.withLock { state -> [RedisLease] in
            defer { state = [:] }
            return state.values.map(\.lease)
        }
        do {
            for lease in leases { _ = try await redis.releaseLease(lease) }
            _ = try await redis.send(arguments: ["ZREM", RedisArgument(keys.ingestMembers), RedisArgument(instance)])
        } catch {
            // Redis is not answering: the rest expire after their TTL rather than each waiting
            // out its own reconnect attempts.
            logger.info("shard leases left to expire", metadata: ["error": "\(error)"])
        }
    }
}
