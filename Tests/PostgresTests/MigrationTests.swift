import Foundation
import Testing
import Postgres
import Schema
import TestSupport

@Suite struct MigrationTests {
    @Test func racingProcessesApplyEachMigrationExactlyOnce() async throws {
        try await withSchema { pool, configuration in
            let migrations = try Schema.migrations()
            #expect(migrations.map(\.version) == Array(1...migrations.count))
            // Six "processes": each with its own pool, all starting at once.
            let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let own = PostgresPool(configuration: configuration, options: .init(minimumConnections: 0, maximumConnections: 1))
                        defer { Task { await own.close() } }
                        return try await PostgresMigrator(migrations: migrations).migrate(own).count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(appliedCounts.sorted() == [0, 0, 0, 0, 0, migrations.count])
            let recorded = try await pool.query("SELECT version, count(*) OVER (PARTITION BY version) FROM schema_migrations ORDER BY version")
            #expect(try recorded.map { try $0.decode(0, as: Int.self) } == migrations.map(\.version))
            #expect(try recorded.allSatisfy { try $0.decode(1, as: Int.self) == 1 })
            let tables = try await pool.query("""
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1
                """).map { try $0.decode(0, as: String.self) }
            for table in ["alerts", "analyses", "candles", "schema_migrations", "signals", "tracked_symbols", "tracked_symbols_history"] {
                #expect(tables.contains(table), "\(table) missing")
            }
            #expect(try await PostgresMigrator(migrations: migrations).migrate(pool).isEmpty)
        }
    }

    @Test func failedMigrationRollsBackAndIsNotRecorded() async throws {
        try await withSchema { pool, _ in
            let good = Migration(version: 1, name: "good", sql: "CREATE TABLE a (id int);")
            let bad = Migration(version: 2, name: "bad", sql: "CREATE TABLE b (id int); INSERT INTO missing VALUES (1);")
            let error = await #expect(throws: PostgresError.self) { try await PostgresMigrator(migrations: [good, bad]).migrate(pool) }
            #expect(error?.sqlState == "42P01")
            let versions = try await PostgresMigrator(migrations: []).appliedVersions(pool)
            #expect(versions == [1])
            let b = try await pool.query("SELECT to_regclass('b') IS NULL")
            #expect(try b[0].decode(0, as: Bool.self), "the failed migration's first statement was rolled back")
        }
    }

    @Test func editedMigrationIsRefused() async throws {
        try await withSchema { pool, _ in
            try await PostgresMigrator(migrations: [Migration(version: 1, name: "x", sql: "CREATE TABLE x (id int);")]).migrate(pool)
            let error = await #expect(throws: PostgresError.self) {
                try await PostgresMigrator(migrations: [Migration(version: 1, name: "x", sql: "CREATE TABLE x (id bigint);")]).migrate(pool)
            }
            #expect(error?.code == .migration)
        }
    }

    @Test func schemaEnforcesOneOpenSignalPerSymbol() async throws {
        try await withSchema { pool, _ in
            try await Schema.migrator().migrate(pool)
            func insertOpen() async throws {
                try await pool.execute("""
                    INSERT INTO signals (market, symbol, direction, candle_time, expires_at, entry, stop, targets, probability, confidence, agreeing_heads, votes)
                    VALUES ('futures', 'BTCUSDT', 'long', now(), now() + interval '4 hours', 100, 95, \([110.0, 115.0]), 0.7, 0.8, \(["technical", "volume"]), '[]')
                    """)
            }
            try await insertOpen()
            let error = await #expect(throws: PostgresError.self) { try await insertOpen() }
            #expect(error?.sqlState == "23505")
        }
    }

    /// Migration 0010: the analyses' JSON columns are compressed with lz4, in a day partition
    /// that existed before it and in one created after (this server is built with lz4).
    @Test func analysesJSONIsCompressedWithLZ4() async throws {
        try await withSchema { pool, _ in
            let migrations = try Schema.migrations()
            try #require(migrations.contains { $0.version == 10 })
            var earlier: [Migration] = []
            for migration in migrations where migration.version < 10 { earlier.append(migration) }
            let appliedBefore = try await PostgresMigrator(migrations: earlier).migrate(pool)
            #expect(appliedBefore.map(\.version) == Array(1...9))
            _ = try await pool.query("SELECT ap_analyses_partition(timestamptz '2026-01-01 12:00Z')")
            try await PostgresMigrator(migrations: migrations).migrate(pool)
            _ = try await pool.query("SELECT ap_analyses_partition(timestamptz '2026-01-02 12:00Z')")
            let methods = try await pool.query("""
                SELECT c.relname::text, a.attname::text, a.attcompression::text
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                WHERE c.relnamespace = current_schema()::regnamespace
                  AND c.relname IN ('analyses', 'analyses_p20260101', 'analyses_p20260102')
                  AND a.attname IN ('votes', 'consensus', 'inputs')
                ORDER BY 1, 2
                """).map { "\(try $0.decode(0, as: String.self)).\(try $0.decode(1, as: String.self))=\(try $0.decode(2, as: String.self))" }
            #expect(methods.count == 9)
            #expect(methods.allSatisfy { $0.hasSuffix("=l") }, "\(methods)")
        }
    }
}

@Suite(.serialized) struct ServerRestartTests {
    @Test func inFlightQueryFailsClearlyAndTheNextOneWorks() async throws {
        let server = try PrivatePostgres()
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: server.url),
            options: .init(minimumConnections: 0, maximumConnections: 3, acquireTimeout: .seconds(10))
        )
        // Warm three connections so idle ones are dead after the restart too.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await pool.query("SELECT pg_sleep(0.2)") } }
            try await group.waitForAll()
        }
        #expect(pool.counts.idle == 3)
        let inFlight = Task { try await pool.query("SELECT pg_sleep(60)") }
        try await Task.sleep(for: .milliseconds(500))
        try server.restart()
        let error = await #expect(throws: PostgresError.self) { try await inFlight.value }
        #expect(error?.code == .connectionLost)
        #expect(error?.connectionUsable == false)
        // Every query after the restart works, though the pooled connections all died.
        for _ in 0..<5 {
            #expect(try await pool.query("SELECT 1")[0].decode(0, as: Int.self) == 1)
        }
        await pool.close()
    }
}
