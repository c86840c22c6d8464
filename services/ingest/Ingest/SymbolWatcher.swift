import Contracts
import Core
import Redis

/// Reads the tracked symbol list the symbols service caches in `symbols` (`SymbolList`).
public struct SymbolWatcher: Sendable {
    let redis: RedisClient
    let keys: RedisKeys

    public init(redis: RedisClient, keys: RedisKeys) {
        self.redis = redis
        self.keys = keys
    }

    /// The active symbols per market and the list's version; nil while no list is cached.
    /// - Throws: `RedisError`; a cached value that is not the documented JSON counts as absent.
    public func current() async throws -> (version: Int64, symbols: [Market: Set<String>])? {
        guard let bytes = try await redis.getBytes(keys.symbols), let list = try? SymbolList.decode(bytes) else { return nil }
        return (list.version, list.symbols)
    }
}
