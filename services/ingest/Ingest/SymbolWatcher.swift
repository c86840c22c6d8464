import Core
import Foundation
import Redis

/// Reads the tracked symbol list the symbols service caches in `{prefix}symbols`.
public struct SymbolWatcher: Sendable {
    let redis: RedisClient
    let keys: IngestKeys

    public init(redis: RedisClient, keys: IngestKeys) {
        self.redis = redis
        self.keys = keys
    }

    struct Document: Decodable {
        struct Entry: Decodable { var symbol: String }
        var version: Int64
        var futures: [Entry]
        var spot: [Entry]
    }

    /// The active symbols per market and the list's version; nil while no list is cached.
    /// - Throws: `RedisError`; a cached value that is not the documented JSON counts as absent.
    public func current() async throws -> (version: Int64, symbols: [Market: Set<String>])? {
        guard let bytes = try await redis.getBytes(keys.symbols),
              let document = try? JSONDecoder().decode(Document.self, from: Data(bytes))
        else { return nil }
        return (document.version, [.futures: Set(document.futures.map(\.symbol)), .spot: Set(document.spot.map(\.symbol))])
    }
}
