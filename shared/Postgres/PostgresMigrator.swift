import Foundation
import Logging

/// One numbered schema change.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a of the SQL text: detects a migration edited after it was applied.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Reads `NNNN_name.sql` files from `directory`, sorted by number.
    /// - Throws: `PostgresError` `.migration` for a badly named file or a repeated number.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw PostgresError(.migration, message: "migration file '\(file)' is not named NNNN_name.sql", connectionUsable: true)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw PostgresError(.migration, message: "two migrations are numbered \(next.version)", connectionUsable: true)
        }
        return migrations
    }
}

/// Applies migrations in order, each in its own transaction, recording them in
/// `schema_migrations`. Several processes may migrate at once: a session advisory lock
/// (per schema) lets one apply while the others wait, then find nothing left to do.
public struct PostgresMigrator: Sendable {
    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger = Logger(label: "alphapulse.migrations")) {
        precondition(Set(migrations.map(\.version)).count == migrations.count, "migration versions must be unique")
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Applies every pending migration.
    /// - Returns: the migrations applied by this call (empty when the schema was current).
    /// - Throws: `PostgresError` — `.migration` when an applied migration's SQL has changed,
    ///   `.server` with the SQLSTATE when a migration's SQL fails (that migration is rolled back).
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Migration] {
        try await pool.withConnection { connection in
            try await connection.execute("SELECT pg_advisory_lock(hashtext('alphapulse.migrations:' || current_schema()))")
            do {
                let applied = try await applyPending(on: connection)
                try await connection.execute("SELECT pg_advisory_unlock(hashtext('alphapulse.migrations:' || current_schema()))")
                return applied
            } catch {
                // The lock is per session: if the connection broke, the server already released it.
                _ = try? await connection.executeCleanup("SELECT pg_advisory_unlock(hashtext('alphapulse.migrations:' || current_schema()))")
                throw error
            }
        }
    }

    /// Versions recorded in `schema_migrations`, oldest first.
    public func appliedVersions(_ pool: PostgresPool) async throws -> [Int] {
        try await pool.withConnection { connection in
            try await Self.ensureTable(connection)
            return try await connection.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode(0, as: Int.self) }
        }
    }

    private static func ensureTable(_ connection: PostgresConnection) async throws {
        try await connection.execute(unsafeScript: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version bigint PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Migration] {
        try await Self.ensureTable(connection)
        var recorded: [Int: String] = [:]
        for row in try await connection.query("SELECT version, checksum FROM schema_migrations") {
            recorded[try row.decode(0)] = try row.decode(1, as: String.self)
        }
        var applied: [Migration] = []
        for migration in migrations {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw PostgresError(
                        .migration,
                        message: "migration \(migration.version)_\(migration.name) was changed after it was applied; add a new migration instead",
                        connectionUsable: true
                    )
                }
                continue
            }
            try await connection.execute("BEGIN")
            do {
                try await connection.execute(unsafeScript: migration.sql)
                try await connection.execute("""
                    INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """)
                try await connection.execute("COMMIT")
            } catch {
                _ = try? await connection.executeCleanup("ROLLBACK")
                logger.error("migration failed", metadata: ["migration": "\(migration.version)_\(migration.name)", "error": "\(error)"])
                throw error
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.version)_\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }
}
