import Core
import Foundation
import Redis

/// The tracked list in Redis, for every other process.
///
/// - `{prefix}symbols` (string): the active list as JSON,
///   `{"version":3,"refreshed_at":"2026-02-02T00:05:00Z","futures":[…],"spot":[…]}`, each entry
///   `{"symbol","base_asset","rank","quote_volume_24h","last_price","price_change_pct","market"}`
///   in rank order. `version` counts changes of the set (`symbol_list_versions`).
/// - `{prefix}symbols:changed` (pub/sub): published only when the set changed,
///   `{"version":3,"changed_at":"…","added":[{"market":"spot","symbol":"XUSDT"}],"removed":[…]}`,
///   after the cache already holds that version (both in one MULTI/EXEC).
/// - `{prefix}symbols:refresh` (string): any value asks the serving leader for a refresh now;
///   it deletes the key when it starts.
public struct SymbolCache: Sendable {
    let redis: RedisClient
    public let key: String
    public let changedChannel: String
    public let refreshKey: String

    public init(redis: RedisClient, prefix: String) {
        self.redis = redis
        self.key = prefix + "symbols"
        self.changedChannel = prefix + "symbols:changed"
        self.refreshKey = prefix + "symbols:refresh"
    }

    /// The cached document.
    public struct Document: Sendable, Codable, Equatable {
        public var version: Int64
        public var refreshedAt: String
        public var futures: [TrackedSymbol]
        public var spot: [TrackedSymbol]

        enum CodingKeys: String, CodingKey {
            case version, futures, spot
            case refreshedAt = "refreshed_at"
        }
    }

    /// One `symbols:changed` message.
    public struct ChangeMessage: Sendable, Codable, Equatable {
        public var version: Int64
        public var changedAt: String
        public var added: [MarketSymbol]
        public var removed: [MarketSymbol]

        public init(version: Int64, changedAt: String, added: [MarketSymbol], removed: [MarketSymbol]) {
            self.version = version
            self.changedAt = changedAt
            self.added = added
            self.removed = removed
        }

        enum CodingKeys: String, CodingKey {
            case version, added, removed
            case changedAt = "changed_at"
        }
    }

    /// The cached document, or nil when the key is absent or unreadable.
    public func read() async throws -> Document? {
        guard let bytes = try await redis.getBytes(key) else { return nil }
        return try? JSONDecoder().decode(Document.self, from: Data(bytes))
    }

    /// Writes the document and, in the same MULTI/EXEC, publishes `messages` in order.
    /// - Throws: `RedisError` (nothing is half applied: MULTI/EXEC is all or nothing).
    public func write(_ document: Document, publishing messages: [ChangeMessage]) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var commands: [[RedisArgument]] = [["MULTI"], ["SET", RedisArgument(key), RedisArgument(bytes: Array(try encoder.encode(document)))]]
        for message in messages {
            commands.append(["PUBLISH", RedisArgument(changedChannel), RedisArgument(bytes: Array(try encoder.encode(message)))])
        }
        commands.append(["EXEC"])
        let replies = try await redis.pipeline(commands: commands)
        for reply in replies { _ = try reply.checked() }
        for reply in replies.last?.array ?? [] { _ = try reply.checked() }
    }

    /// Takes a pending refresh request (GETDEL), if any.
    public func takeRefreshRequest() async throws -> Bool {
        try await redis.send(arguments: ["GETDEL", RedisArgument(refreshKey)]).checked().isNull == false
    }
}
