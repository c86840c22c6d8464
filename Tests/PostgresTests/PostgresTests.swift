import Foundation
import Testing
import Postgres
import TestSupport

@Suite struct PostgresConfigurationTests {
    @Test func parsesEveryPartOfTheURL() throws {
        let config = try PostgresConfiguration(url: "postgresql://ap%40user:p%3Ass@db.local:6543/alpha%20pulse?sslmode=require&connect_timeout=3&application_name=x")
        #expect(config.user == "ap@user")
        #expect(config.password == "p:ss")
        #expect(config.host == "db.local")
        #expect(config.port == 6543)
        #expect(config.database == "alpha pulse")
        #expect(config.sslMode == "require")
        #expect(config.connectTimeoutSeconds == 3)
        #expect(config.applicationName == "x")
        #expect(!config.description.contains("p:ss"))
        let short = try PostgresConfiguration(url: "postgres://bob@localhost")
        #expect(short.port == 5432 && short.database == "bob" && short.password == nil && short.sslMode == "prefer")
    }

    @Test(arguments: ["mysql://u@h/d", "postgresql:///nohost", "postgresql://u@h/d?sslmode=sometimes", "not a url"])
    func rejectsBadURLs(url: String) {
        let error = #expect(throws: PostgresError.self) { try PostgresConfiguration(url: url) }
        #expect(error?.code == .invalidURL)
    }

    @Test func wrongPasswordOrDeadServerIsConnectionFailed() async throws {
        var config = try PostgresConfiguration(url: try TestEnvironment.databaseURL())
        config.port = try freePort()
        config.connectTimeoutSeconds = 2
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(config) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.connectionUsable == false)
    }
}

@Suite struct PostgresQueryTests {
    @Test func hostileStringsRoundTripExactlyThroughBinds() async throws {
        try await withSchema { pool, _ in
            try await pool.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)")
            let hostile = [
                "it's", "\"double\"", "back\\slash\\", "'; DROP TABLE notes; --", "$1 $2 ?", "tab\tnew\nline\r",
                "ünïcødé 日本語 🚀👩‍👩‍👧", String(repeating: "x'\\\"", count: 250_000), "", "NULL", "{1,2}",
            ]
            for (index, text) in hostile.enumerated() {
                try await pool.execute("INSERT INTO notes (id, body) VALUES (\(index), \(text))")
            }
            for (index, text) in hostile.enumerated() {
                let rows = try await pool.query("SELECT body FROM notes WHERE body = \(text) AND id = \(index)")
                #expect(rows.count == 1)
                #expect(try rows.first?.decode(0, as: String.self) == text)
            }
            let count = try await pool.query("SELECT count(*) FROM notes")
            #expect(try count[0].decode(0, as: Int.self) == hostile.count)
        }
    }

    @Test func nulByteIsRejectedNotTruncated() async throws {
        try await withSchema { pool, _ in
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT \("a\u{0}b")::text") }
            #expect(error?.sqlState == "22021")
        }
    }

    @Test func decodesTypedValues() async throws {
        try await withSchema { pool, _ in
            let when = Date(timeIntervalSince1970: 1_770_000_000.123456)
            let rows = try await pool.query("""
                SELECT 42::int4 AS i, 9007199254740993::int8 AS big, 0.1::float8 AS d, 123456789.123456789::numeric AS n,
                       \(when) AS ts, true AS yes, '{"a":[1,2],"b":"x\\"y"}'::jsonb AS j,
                       ARRAY[1,2,3]::int8[] AS ints, ARRAY['a b', 'c,d', 'e"f', NULL]::text[] AS texts,
                       NULL::text AS nothing, \(["x", "y\"z"]) AS bound_array, \(3.5) AS bound_double
                """)
            let row = try #require(rows.first)
            #expect(try row.decode("i", as: Int.self) == 42)
            #expect(try row.decode("big", as: Int64.self) == 9_007_199_254_740_993)
            #expect(try row.decode("d", as: Double.self) == 0.1)
            #expect(try row.decode("n", as: Decimal.self) == Decimal(string: "123456789.123456789"))
            #expect(try row.decode("n", as: String.self) == "123456789.123456789")
            let stamp = try row.decode("ts", as: Date.self)
            #expect(abs(stamp.timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000_001)
            #expect(try row.decode("yes", as: Bool.self))
            struct Payload: Decodable, Equatable { let a: [Int]; let b: String }
            #expect(try row.decodeJSON("j", as: Payload.self) == Payload(a: [1, 2], b: "x\"y"))
            #expect(try row.decode("ints", as: [Int].self) == [1, 2, 3])
            #expect(try row.decode("nothing", as: String?.self) == nil)
            #expect(try row.decode("bound_array", as: [String].self) == ["x", "y\"z"])
            #expect(try row.decode("bound_double", as: Double.self) == 3.5)
            let texts = try #require(try row.decode("texts", as: String?.self))
            #expect(texts == #"{"a b","c,d","e\"f",NULL}"#)
            let nullInNonOptional = #expect(throws: PostgresError.self) { try row.decode("nothing", as: String.self) }
            #expect(nullInNonOptional?.code == .decoding)
            let wrongType = #expect(throws: PostgresError.self) { try row.decode("ts", as: Int.self) }
            #expect(wrongType?.code == .decoding)
        }
    }

    /// PostgreSQL's special float spellings, and numeric text read as the same Double as the
    /// server's `::float8` cast (the inference's candle read takes numeric text, the backtest's
    /// the cast: live equals backtest only if both give the same bits).
    @Test func decodesSpecialFloatsAndNumericAsItsCast() async throws {
        try await withSchema { pool, _ in
            let special = try #require(try await pool.query("""
                SELECT 'NaN'::float8, 'Infinity'::float8, '-Infinity'::float8, -1.5::float8, 'NaN'::numeric, -0.000123::numeric
                """).first)
            #expect(try special.decode(0, as: Double.self).isNaN)
            #expect(try special.decode(1, as: Double.self) == .infinity)
            #expect(try special.decode(2, as: Double.self) == -.infinity)
            #expect(try special.decode(3, as: Double.self) == -1.5)
            #expect(try special.decode(4, as: Double.self).isNaN)
            #expect(try special.decode(5, as: Double.self) == -0.000123)
            let texts = [
                "9.982", "244198.04745", "93722.16297", "0.00001234", "43123.45000000", "1234567.12345678", "0.1", "0.30000000000000004",
                "123456789.123456789", "98765432109876.54321", "-0.000123", "5e-8", "1e22", "17976931348623157e292",
            ]
            let rows = try await pool.query("SELECT t::numeric, t::numeric::float8 FROM unnest(\(texts)::text[]) AS t")
            #expect(rows.count == texts.count)
            for row in rows {
                let text = try row.decode(0, as: String.self)
                #expect(try row.decode(0, as: Double.self).bitPattern == row.decode(1, as: Double.self).bitPattern, "\(text)")
            }
        }
    }

    @Test func jsonbBindRoundTrips() async throws {
        struct Vote: Codable, Equatable, Sendable { let head: String; let probability: Double }
        try await withSchema { pool, _ in
            try await pool.execute("CREATE TABLE votes (v jsonb NOT NULL)")
            let votes = [Vote(head: "technical", probability: 0.71), Vote(head: "wyckoff's", probability: 0.2)]
            try await pool.execute("INSERT INTO votes (v) VALUES (\(PostgresJSON(votes)))")
            let rows = try await pool.query("SELECT v FROM votes WHERE v @> \(PostgresJSON([["head": "technical"]]))")
            #expect(try rows[0].decodeJSON("v", as: [Vote].self) == votes)
        }
    }

    @Test func failingQueryCarriesSQLStateAndKeepsConnectionUsable() async throws {
        try await withSchema { pool, _ in
            try await pool.execute("CREATE TABLE uniq (k text PRIMARY KEY)")
            try await pool.execute("INSERT INTO uniq VALUES (\("secret-value"))")
            let duplicate = await #expect(throws: PostgresError.self) {
                try await pool.execute("INSERT INTO uniq VALUES (\("secret-value"))")
            }
            #expect(duplicate?.code == .server)
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.connectionUsable == true)
            #expect(duplicate.map { !$0.description.contains("secret-value") && !$0.description.contains("INSERT") } == true)
            let missing = await #expect(throws: PostgresError.self) { try await pool.query("SELECT * FROM no_such_table") }
            #expect(missing?.sqlState == "42P01")
            let syntax = await #expect(throws: PostgresError.self) { try await pool.query("SELEC 1") }
            #expect(syntax?.sqlState == "42601")
            #expect(try await pool.query("SELECT 1").count == 1)
        }
    }

    @Test func transactionRollsBackOnErrorAndCommitsOtherwise() async throws {
        struct Boom: Error {}
        try await withSchema { pool, _ in
            try await pool.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            await #expect(throws: Boom.self) {
                try await pool.transaction { connection in
                    try await connection.execute("INSERT INTO ledger VALUES (1)")
                    throw Boom()
                }
            }
            await #expect(throws: PostgresError.self) {
                try await pool.transaction { connection in
                    try await connection.execute("INSERT INTO ledger VALUES (2)")
                    try await connection.execute("INSERT INTO ledger VALUES (2)")
                }
            }
            try await pool.transaction { connection in
                try await connection.execute("INSERT INTO ledger VALUES (3)")
            }
            let ids = try await pool.query("SELECT id FROM ledger ORDER BY id").map { try $0.decode(0, as: Int.self) }
            #expect(ids == [3])
        }
    }

    @Test func cancellingATaskCancelsItsStatement() async throws {
        try await withSchema(options: .init(minimumConnections: 0, maximumConnections: 1)) { pool, configuration in
            let clock = ContinuousClock()
            let started = clock.now
            let task = Task { try await pool.query("SELECT pg_sleep(300)") }
            // Cancel only once the statement is running on the server.
            let observer = try await PostgresConnection.connect(configuration)
            #expect(await waitUntil {
                let rows = try? await observer.query("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(300)' AND pid <> pg_backend_pid()")
                return (try? rows?.first?.decode(0, as: Int.self)) ?? 0 > 0
            })
            await observer.close()
            task.cancel()
            let error = await #expect(throws: PostgresError.self) { try await task.value }
            #expect(error?.code == .cancelled)
            #expect(error?.sqlState == "57014")
            // Far less than the 300 s the statement sleeps (a bound, not a timing).
            #expect(started.duration(to: clock.now) < .seconds(150))
            #expect(try await pool.query("SELECT 1").count == 1, "the single pooled connection is usable again")
        }
    }
}

/// Statements prepared once per connection and executed by name.
@Suite struct PreparedStatementTests {
    static func preparedCount(_ connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(0, as: Int.self) ?? -1
    }

    @Test func aPreparedStatementIsPreparedOnceAndGivesEachRunsOwnAnswer() async throws {
        try await withSchema { _, configuration in
            let connection = try await PostgresConnection.connect(configuration)
            for value in [1, 7, -3, 1_000_000] {
                let rows = try await connection.query(prepared: "SELECT \(value)::bigint * 2, \("x\(value)")::text")
                #expect(try rows.first?.decode(0, as: Int.self) == value * 2)
                #expect(try rows.first?.decode(1, as: String.self) == "x\(value)")
            }
            #expect(try await Self.preparedCount(connection) == 1)
            // Unprepared statements leave nothing behind.
            _ = try await connection.query("SELECT \(5)::bigint")
            #expect(try await Self.preparedCount(connection) == 1)
            await connection.close()
        }
    }

    /// Protocol-level prepared statements outlive transactions: one prepared inside a rolled-back
    /// transaction, or whose run failed, is still there to run again.
    @Test func survivesARolledBackTransactionAndAFailedRun() async throws {
        try await withSchema { pool, _ in
            func divide(_ divisor: Int, on connection: PostgresConnection) async throws -> Int? {
                try await connection.query(prepared: "SELECT 100 / \(divisor)::int").first?.decode(0, as: Int.self)
            }
            try await pool.withConnection { connection in
                try await connection.execute("BEGIN")
                #expect(try await divide(4, on: connection) == 25)
                _ = try await connection.execute("ROLLBACK")
                #expect(try await divide(5, on: connection) == 20)
                let error = await #expect(throws: PostgresError.self) { try await divide(0, on: connection) }
                #expect(error?.sqlState == "22012")
                #expect(try await divide(10, on: connection) == 10)
                #expect(try await Self.preparedCount(connection) == 1)
            }
        }
    }

    /// Past its bound the cache is emptied on the server and filled again as statements are used.
    @Test func theCacheIsBounded() async throws {
        try await withSchema { _, configuration in
            let connection = try await PostgresConnection.connect(configuration)
            let total = PostgresConnection.maximumPreparedStatements + 10
            for index in 0..<total {
                let rows = try await connection.query(prepared: PostgresQuery(unsafeSQL: "SELECT $1::bigint + \(index)", binds: [Int64(1)]))
                #expect(try rows.first?.decode(0, as: Int.self) == index + 1)
            }
            #expect(try await Self.preparedCount(connection) == 10)
            let first = try await connection.query(prepared: PostgresQuery(unsafeSQL: "SELECT $1::bigint + 0", binds: [Int64(41)]))
            #expect(try first.first?.decode(0, as: Int.self) == 41)
            #expect(try await Self.preparedCount(connection) == 11)
            await connection.close()
        }
    }
}
