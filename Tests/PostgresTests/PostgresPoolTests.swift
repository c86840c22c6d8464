import Foundation
import Testing
import Postgres
import Schema
import TestSupport

@Suite struct PostgresPoolTests {
    @Test func exhaustedPoolTimesOutThenRecovers() async throws {
        let options = PostgresPool.Options(minimumConnections: 0, maximumConnections: 2, acquireTimeout: .milliseconds(300))
        try await withSchema(options: options) { pool, _ in
            // Two tasks hold both connections inside a server-side sleep.
            let holders = (0..<2).map { _ in Task { try await pool.query("SELECT pg_sleep(2)") } }
            #expect(await waitUntil { pool.counts.open == 2 && pool.counts.idle == 0 })
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error?.code == .poolTimeout)
            #expect(pool.counts.open == 2, "never more than the maximum")
            #expect(pool.counts.waiting == 0, "the timed-out waiter left the queue")
            for holder in holders { _ = try await holder.value }
            #expect(try await pool.query("SELECT 1").count == 1)
            #expect(pool.counts.open <= 2)
        }
    }

    @Test func waiterGetsTheConnectionReleasedBeforeItsTimeout() async throws {
        let options = PostgresPool.Options(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(30))
        try await withSchema(options: options) { pool, _ in
            let holder = Task { try await pool.query("SELECT pg_sleep(1)") }
            #expect(await waitUntil { pool.counts.open == 1 && pool.counts.idle == 0 })
            let waiter = Task { try await pool.query("SELECT 7::int8") }
            #expect(await waitUntil { pool.counts.waiting == 1 })
            _ = try await holder.value
            #expect(try await waiter.value[0].decode(0, as: Int.self) == 7)
            #expect(pool.counts.open == 1)
        }
    }

    @Test func manyConcurrentQueriesShareABoundedPool() async throws {
        let options = PostgresPool.Options(minimumConnections: 0, maximumConnections: 3, acquireTimeout: .seconds(30))
        try await withSchema(options: options) { pool, _ in
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<60 {
                    group.addTask { try await pool.query("SELECT \(index)::int8 + 1 AS v")[0].decode(0, as: Int.self) }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == (1...60).reduce(0, +))
            #expect(pool.counts.open <= 3)
        }
    }

    @Test func connectionLeftInTransactionIsRolledBackOnReturn() async throws {
        try await withSchema(options: .init(minimumConnections: 0, maximumConnections: 1)) { pool, _ in
            try await pool.execute("CREATE TABLE t (id int)")
            try await pool.withConnection { connection in
                try await connection.execute("BEGIN")
                try await connection.execute("INSERT INTO t VALUES (1)")
            }
            let rows = try await pool.query("SELECT count(*) FROM t")
            #expect(try rows[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func closedPoolRefusesWork() async throws {
        try await withSchema { pool, _ in
            await pool.close()
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error?.code == .poolClosed)
        }
    }
}

@Suite struct BulkUpsertTests {
    static let spec = BulkUpsert(
        table: "candles",
        columns: ["market", "symbol", "interval", "open_time", "close_time", "open", "high", "low", "close",
                  "volume", "quote_volume", "trades", "taker_buy_volume", "taker_buy_quote_volume", "source"],
        conflictColumns: ["market", "symbol", "interval", "open_time"]
    )

    func candles(count: Int, closeOffset: Double = 0, symbol: String = "BTCUSDT") -> CopyBuffer {
        var buffer = CopyBuffer(columns: 15)
        for minute in 0..<count {
            let open = Date(timeIntervalSince1970: 1_770_000_000 + Double(minute) * 60)
            buffer.append("futures"); buffer.append(symbol); buffer.append("1m")
            buffer.append(open); buffer.append(open.addingTimeInterval(59.999))
            buffer.append(100.5); buffer.append(101.25); buffer.append(99.75); buffer.append(100.0 + closeOffset + Double(minute) / 1000)
            buffer.append(12.5); buffer.append(1250.25); buffer.append(Int64(42)); buffer.append(6.25); buffer.append(625.125)
            buffer.append("backfill")
            buffer.endRow()
        }
        return buffer
    }

    @Test func sameBatchTwiceGivesTheSameRows() async throws {
        try await withSchema { pool, _ in
            try await migrateSchema(pool)
            let batch = candles(count: 5_000)
            #expect(try await pool.bulkUpsert(Self.spec, rows: batch) == 5_000)
            let before = try await snapshot(pool)
            #expect(try await pool.bulkUpsert(Self.spec, rows: batch) == 0, "identical rows are not rewritten")
            #expect(try await snapshot(pool) == before)
            #expect(before.count == 5_000)

            // Changed values for existing keys update in place, never duplicate.
            #expect(try await pool.bulkUpsert(Self.spec, rows: candles(count: 10, closeOffset: 1)) == 10)
            let after = try await pool.query("SELECT count(*), max(close) FROM candles")
            #expect(try after[0].decode(0, as: Int.self) == 5_000)
            #expect(try after[0].decode(1, as: String.self) == "104.999")
        }
    }

    @Test func repeatedKeyInsideOneBatchKeepsTheLastRow() async throws {
        try await withSchema { pool, _ in
            try await migrateSchema(pool)
            // Three minutes, then a newer version of minute 0, all in one batch.
            var buffer = candles(count: 3)
            buffer.append(contentsOf: candles(count: 1, closeOffset: 5))
            #expect(buffer.rowCount == 4)
            #expect(try await pool.bulkUpsert(Self.spec, rows: buffer) == 3)
            let rows = try await pool.query("SELECT close::text FROM candles ORDER BY open_time")
            #expect(try rows.map { try $0.decode(0, as: String.self) } == ["105.0", "100.001", "100.002"])

            var duplicateKeys = CopyBuffer(columns: 15)
            for offset in [7.0, 8.0, 9.0] {
                let open = Date(timeIntervalSince1970: 1_780_000_000)
                duplicateKeys.append("spot"); duplicateKeys.append("ETHUSDT"); duplicateKeys.append("1m")
                duplicateKeys.append(open); duplicateKeys.append(open.addingTimeInterval(59.999))
                for _ in 0..<4 { duplicateKeys.append(offset) }
                duplicateKeys.append(1.0); duplicateKeys.append(1.0); duplicateKeys.append(Int64(1)); duplicateKeys.append(1.0); duplicateKeys.append(1.0)
                duplicateKeys.append("ws")
                duplicateKeys.endRow()
            }
            #expect(try await pool.bulkUpsert(Self.spec, rows: duplicateKeys) == 1)
            let last = try await pool.query("SELECT close::text FROM candles WHERE symbol = \("ETHUSDT")")
            #expect(try last[0].decode(0, as: String.self) == "9.0")
        }
    }

    @Test func batchesInsideTheCallersTransactionCommitOrRollBackTogether() async throws {
        struct Abort: Error {}
        try await withSchema { pool, _ in
            try await migrateSchema(pool)
            let counts = try await pool.transaction { connection in
                let first = try await connection.bulkUpsert(Self.spec, rows: candles(count: 3, symbol: "AUSDT"))
                // The second batch must not see the first one's staged rows again.
                let second = try await connection.bulkUpsert(Self.spec, rows: candles(count: 2, symbol: "BUSDT"))
                return [first, second]
            }
            #expect(counts == [3, 2])
            await #expect(throws: Abort.self) {
                try await pool.transaction { connection in
                    try await connection.bulkUpsert(Self.spec, rows: candles(count: 4, symbol: "CUSDT"))
                    throw Abort()
                }
            }
            let symbols = try await pool.query("SELECT symbol, count(*)::int8 FROM candles GROUP BY symbol ORDER BY symbol")
            #expect(try symbols.map { "\(try $0.decode(0, as: String.self))=\(try $0.decode(1, as: Int.self))" } == ["AUSDT=3", "BUSDT=2"])
        }
    }

    @Test func badRowFailsTheWholeBatch() async throws {
        try await withSchema { pool, _ in
            try await migrateSchema(pool)
            var buffer = candles(count: 3)
            let open = Date(timeIntervalSince1970: 1_790_000_000)
            buffer.append("futures"); buffer.append("BADUSDT"); buffer.append("1m")
            buffer.append(open); buffer.append(open.addingTimeInterval(59.999))
            buffer.append(1.0); buffer.append(0.5); buffer.append(2.0); buffer.append(1.0)  // high below low
            buffer.append(1.0); buffer.append(1.0); buffer.append(Int64(1)); buffer.append(1.0); buffer.append(1.0)
            buffer.append("ws")
            buffer.endRow()
            let error = await #expect(throws: PostgresError.self) { try await pool.bulkUpsert(Self.spec, rows: buffer) }
            #expect(error?.sqlState == "23514")
            #expect(try await pool.query("SELECT count(*) FROM candles")[0].decode(0, as: Int.self) == 0)
        }
    }

    func migrateSchema(_ pool: PostgresPool) async throws {
        try await Schema.migrator().migrate(pool)
    }

    func snapshot(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("SELECT row(c.*)::text FROM (SELECT market, symbol, interval, open_time, close, volume, trades FROM candles ORDER BY 1, 2, 3, 4) c")
            .map { try $0.decode(0, as: String.self) }
    }
}

/// The review's L7: cancellation and statement time limits.
@Suite struct PostgresCancelTests {
    static func pid(_ pool: PostgresPool) async throws -> Int {
        try await pool.query("SELECT pg_backend_pid()::int8")[0].decode(0, as: Int.self)
    }

    /// A connection whose statement was cancelled is closed, not lent again: a cancel request
    /// that reaches the server late must not cancel the next borrower's statement.
    @Test func aConnectionThatWasSentACancelIsNotReused() async throws {
        let options = PostgresPool.Options(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(30))
        try await withSchema(options: options) { pool, configuration in
            let before = try await Self.pid(pool)
            let observer = try await PostgresConnection.connect(configuration)
            let sleeper = Task { try await pool.query("SELECT pg_sleep(30) AS cancel_test") }
            // Cancelled only once the statement runs on the server (a task cancelled before its
            // statement is sent sends no cancel, and its connection is rightly reused).
            #expect(await waitUntil {
                let running = try? await observer.query(
                    "SELECT count(*)::int8 FROM pg_stat_activity WHERE state = 'active' AND pid = \(before) AND query LIKE '%cancel_test%'")
                return (try? running?[0].decode(0, as: Int.self)) == 1
            })
            await observer.close()
            sleeper.cancel()
            let error = await #expect(throws: PostgresError.self) { try await sleeper.value }
            #expect(error?.code == .cancelled)
            let after = try await Self.pid(pool)
            #expect(after != before, "the cancelled connection was lent again")
            // Its successor is left alone: a few statements in a row all succeed.
            for _ in 0..<5 { #expect(try await Self.pid(pool) == after) }
        }
    }

    @Test func aStatementPastTheTimeLimitIsCancelledByTheServer() async throws {
        var configuration = try PostgresConfiguration(url: try TestEnvironment.databaseURL() + "?statement_timeout=1")
        #expect(configuration.statementTimeoutSeconds == 1)
        configuration.applicationName = "alphapulse-test"
        let pool = PostgresPool(configuration: configuration, options: .init(minimumConnections: 0, maximumConnections: 1))
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(5)") }
        #expect(error?.sqlState == "57014")
        #expect(try await pool.query("SELECT 1").count == 1)
        await pool.close()
        #expect(throws: PostgresError.self) { try PostgresConfiguration(url: "postgresql://u@h/db?statement_timeout=-1") }
    }
}
