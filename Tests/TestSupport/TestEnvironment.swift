import Foundation

/// Where the servers that `deploy/alphapulse test` started can be found.
///
/// Integration tests must run, never skip: a missing variable is an error that names how to
/// run the suite properly.
public enum TestEnvironment {
    public struct Missing: Error, CustomStringConvertible {
        public let variable: String
        public var description: String {
            "\(variable) is not set: run the suite with `deploy/alphapulse test`, which starts private PostgreSQL and Redis servers"
        }
    }

    static func require(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw Missing(variable: name)
        }
        return value
    }

    /// A superuser URL of the shared test PostgreSQL server.
    public static func databaseURL() throws -> String { try require("ALPHAPULSE_TEST_DATABASE_URL") }
    /// The URL of the shared test Redis server.
    public static func redisURL() throws -> String { try require("ALPHAPULSE_TEST_REDIS_URL") }
    /// The folder holding initdb, pg_ctl and postgres, for tests that need a server of their own.
    public static func postgresBinDir() throws -> String { try require("ALPHAPULSE_TEST_PG_BINDIR") }
    /// The redis-server binary, for tests that need a server of their own.
    public static func redisServer() throws -> String { try require("ALPHAPULSE_TEST_REDIS_SERVER") }

    /// A name unique to this test, usable as a schema name or key prefix.
    public static func uniqueName(_ base: String) -> String {
        let cleaned = base.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let suffix = UInt32.random(in: 0...UInt32.max)
        return "t_" + String(cleaned.prefix(40)) + "_" + String(suffix, radix: 36)
    }
}
