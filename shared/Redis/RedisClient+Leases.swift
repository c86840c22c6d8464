/// A lease on a key held with `SET key token NX PX ttl`: only the holder of `token` may
/// renew or release it, and it lapses by itself after `ttl` if the holder dies.
public struct RedisLease: Sendable, Hashable {
    public var key: String
    /// The owner's secret; random unless chosen by the caller.
    public var token: String
    public var ttl: Duration

    /// A lease description; to hold one, use `RedisClient.acquireLease(_:ttl:token:)`.
    public init(key: String, token: String, ttl: Duration) {
        self.key = key
        self.token = token
        self.ttl = ttl
    }
}

extension RedisClient {
    /// Tries to take the lease on `key` for `ttl` (`SET key token NX PX ttl`).
    /// - Parameter token: identifies the owner; defaults to 128 random bits in hex.
    /// - Returns: the lease, or `nil` when someone else holds it.
    public func acquireLease(_ key: String, ttl: Duration, token: String = RedisClient.randomToken()) async throws -> RedisLease? {
        precondition(ttl >= .milliseconds(1), "a lease needs a TTL of at least 1 ms")
        let acquired = try await set(key, to: token, expiry: .milliseconds(Int(ttl.milliseconds)), onlyIfAbsent: true)
        return acquired ? RedisLease(key: key, token: token, ttl: ttl) : nil
    }

    /// Extends the lease by its TTL (or `ttl`) from now, only if `lease.token` still owns it.
    /// - Returns: `false` when the lease was lost (expired or taken over).
    public func renewLease(_ lease: RedisLease, ttl: Duration? = nil) async throws -> Bool {
        let milliseconds = (ttl ?? lease.ttl).milliseconds
        return try await integer([
            "EVAL", RedisArgument(Self.renewScript), "1", RedisArgument(lease.key), RedisArgument(lease.token), RedisArgument(milliseconds),
        ]) == 1
    }

    /// Deletes the lease key only if `lease.token` still owns it (compare-and-delete in Lua).
    /// - Returns: `false` when the lease was no longer ours, and nothing was deleted.
    @discardableResult
    public func releaseLease(_ lease: RedisLease) async throws -> Bool {
        try await integer(Self.releaseLeaseCommand(lease)) == 1
    }

    /// The command `releaseLease` sends, for a pipeline (reply 1 when released, 0 when not held).
    public static func releaseLeaseCommand(_ lease: RedisLease) -> [RedisArgument] {
        ["EVAL", RedisArgument(releaseScript), "1", RedisArgument(lease.key), RedisArgument(lease.token)]
    }

    /// 128 random bits as 32 hex digits.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    private static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """

    private static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """
}
