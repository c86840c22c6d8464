import Contracts
import BenchSupport
import Foundation
import Ingest
import Postgres
import Redis

/// A candle's key within one run: symbol and open time (ms).
struct CandleKey: Hashable {
    var symbol: String
    var openTime: Int64
}

/// One run's private database and Redis key prefix, removed afterwards.
struct BenchEnvironment {
    let tag: String
    let prefix: String
    let ingestDatabaseURL: String
    let admin: PostgresConnection
    let redis: RedisClient
    private let database: String

    init(databaseURL: String, redisURL: String, tag: String) async throws {
        self.tag = tag
        prefix = tag + ":"
        database = tag
        admin = try await PostgresConnection.connect(try PostgresConfiguration(url: databaseURL))
        _ = try await admin.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(tag))"))
        guard var components = URLComponents(string: databaseURL) else { throw BenchError("unreadable database URL") }
        components.path = "/" + tag
        guard let url = components.string else { throw BenchError("unreadable database URL") }
        ingestDatabaseURL = url
        redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
    }

    /// Publishes the futures symbol list the way the symbols service caches it.
    func publish(symbols: [String]) async throws {
        let list = SymbolList.ranked(version: 1, refreshedAt: ISO8601DateFormatter().string(from: Date()), futures: symbols, spot: [])
        _ = try await redis.set(RedisKeys(prefix: prefix).symbols, to: String(decoding: list.encoded(), as: UTF8.self))
    }

    /// 1m candles stored so far (0 while the ingest has not created its tables yet).
    func storedMinutes() async throws -> Int {
        let connection = try await ingestConnection()
        defer { Task { await connection.close() } }
        let exists = try await connection.query("SELECT to_regclass('candles_1m') IS NOT NULL")
        guard try exists.first?.decode(0, as: Bool.self) == true else { return 0 }
        return try await connection.query("SELECT count(*) FROM candles_1m").first?.decode(0, as: Int.self) ?? 0
    }

    /// When each 1m candle was committed (µs since 1970): commit timestamps when the server
    /// keeps them, else the row's `updated_at` (its transaction's start).
    func commitTimes() async throws -> (times: [CandleKey: Int64], fromCommits: Bool) {
        let connection = try await ingestConnection()
        defer { Task { await connection.close() } }
        let setting = try await connection.query("SHOW track_commit_timestamp").first?.decode(0, as: String.self)
        let fromCommits = setting == "on"
        let committed = fromCommits ? "pg_xact_commit_timestamp(xmin)" : "updated_at"
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT symbol, (extract(epoch FROM open_time) * 1000)::bigint, (extract(epoch FROM \(committed)) * 1000000)::bigint
            FROM candles_1m
            """))
        var times: [CandleKey: Int64] = [:]
        for row in rows {
            times[CandleKey(symbol: try row.decode(0), openTime: try row.decode(1))] = try row.decode(2)
        }
        return (times, fromCommits)
    }

    func tearDown() async {
        _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(database)) WITH (FORCE)"))
        await admin.close()
        if let keys = try? await redis.send("KEYS", prefix + "*").array?.compactMap(\.string), !keys.isEmpty {
            _ = try? await redis.delete(keys: keys)
        }
        await redis.close()
    }

    func ingestConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(try PostgresConfiguration(url: ingestDatabaseURL))
    }
}

extension BenchEnvironment {
    /// 5m candles derived, and 5-minute buckets whose five 1m candles are all stored.
    func fiveMinuteRollups() async throws -> (derived: Int, complete: Int) {
        let connection = try await PostgresConnection.connect(try PostgresConfiguration(url: ingestDatabaseURL))
        defer { Task { await connection.close() } }
        let derived = try await connection.query("SELECT count(*) FROM candles_5m").first?.decode(0, as: Int.self) ?? 0
        let complete = try await connection.query("""
            SELECT count(*) FROM (
                SELECT 1 FROM candles_1m GROUP BY symbol, date_bin('5 minutes', open_time, '2000-01-01') HAVING count(*) = 5
            ) buckets
            """).first?.decode(0, as: Int.self) ?? 0
        return (derived, complete)
    }
}
