import Foundation
import Postgres

/// The gateway's API keys in PostgreSQL (`api_keys`): created, listed, revoked, and looked up
/// by prefix to authenticate a request.
public struct KeyStore: Sendable {
    public let postgres: PostgresPool

    public init(postgres: PostgresPool) {
        self.postgres = postgres
    }

    /// One stored key, without anything that could authenticate.
    public struct Entry: Sendable, Equatable {
        public var prefix: String
        public var name: String
        public var scope: APIScope
        public var createdAt: Int64
        public var revokedAt: Int64?
    }

    public enum KeyError: Error, CustomStringConvertible, Equatable {
        case emptyName
        case unknownPrefix(String)

        public var description: String {
            switch self {
            case .emptyName: "a key needs a name (who or what uses it)"
            case .unknownPrefix(let prefix): "no key has the prefix \(prefix)"
            }
        }
    }

    /// Creates a key; the returned key is the only time its secret exists outside the client.
    public func create(name: String, scope: APIScope) async throws -> APIKey {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw KeyError.emptyName }
        let key = APIKey.generate()
        try await postgres.execute("""
            INSERT INTO api_keys (prefix, hash, name, scope) VALUES (\(key.prefix), \(key.hash), \(name), \(scope.rawValue))
            """)
        return key
    }

    /// Every key, oldest first, revoked ones included.
    public func list() async throws -> [Entry] {
        try await postgres.query("""
            SELECT prefix, name, scope, (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM revoked_at) * 1000)::bigint
            FROM api_keys ORDER BY id
            """).map { row in
            Entry(prefix: try row.decode(0), name: try row.decode(1), scope: APIScope(rawValue: try row.decode(2)) ?? .read,
                  createdAt: try row.decode(3), revokedAt: try row.decode(4, as: Int64?.self))
        }
    }

    /// Revokes the key with `prefix` (`apk_` and the secret may be included). Revoking twice is
    /// harmless. - Throws: `KeyError.unknownPrefix` when no key has it.
    public func revoke(prefix: String) async throws {
        let bare = Self.bare(prefix)
        let rows = try await postgres.query("""
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE prefix = \(bare) RETURNING 1
            """)
        guard !rows.isEmpty else { throw KeyError.unknownPrefix(bare) }
    }

    /// The scope `key` grants, or nil when it is unknown, revoked or wrong.
    public func authenticate(_ key: APIKey) async throws -> APIScope? {
        let rows = try await postgres.query(prepared: """
            SELECT hash, scope FROM api_keys WHERE prefix = \(key.prefix) AND revoked_at IS NULL
            """)
        guard let row = rows.first, key.matches(storedHash: try row.decode(0, as: String.self)) else { return nil }
        return APIScope(rawValue: try row.decode(1, as: String.self))
    }

    /// `apk_0123…_…` or `0123…` → `0123…`.
    static func bare(_ text: String) -> String {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts[0] == "apk" ? String(parts[1]) : text
    }
}
