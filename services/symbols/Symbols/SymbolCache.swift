import Contracts
import Core
import Foundation
import Redis

/// The tracked list in Redis, for every other process: `symbols` (a `SymbolList`),
/// `symbols:changed` (`SymbolListChange` messages) and `symbols:refresh` (any value asks the
/// serving leader for a refresh now; it deletes the key when it starts). The contract, with the
/// field tables, is in the Contracts module.
public struct SymbolCache: Sendable {
    let redis: RedisClient
    public let key: String
    public let changedChannel: String
    public let refreshKey: String

    public init(redis: RedisClient, prefix: String) {
        let keys = RedisKeys(prefix: prefix)
        self.redis = redis
        self.key = keys.symbols
        self.changedChannel = keys.symbolsChanged
        self.refreshKey = keys.symbolsRefresh
    }

    public typealias Document = SymbolList
    public typealias ChangeMessage = SymbolListChange

    /// The cached document, or nil when the key is absent or unreadable.
    public func read() async throws -> Document? {
        guard let bytes = try await redis.getBytes(key) else { return nil }
        return try? SymbolList.decode(bytes)
    }

    /// Writes the document and, in the same MULTI/EXEC, publishes `messages` in order.
    /// - Throws: `RedisError` (nothing is half applied: MULTI/EXEC is all or nothing).
    public func write(_ document: Document, publishing messages: [ChangeMessage]) async throws {
        var commands: [[RedisArgument]] = [["MULTI"], ["SET", RedisArgument(key), RedisArgument(bytes: document.encoded())]]
        for message in messages {
            commands.append(["PUBLISH", RedisArgument(changedChannel), RedisArgument(bytes: message.encoded())])
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
