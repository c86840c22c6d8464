import Foundation
import Postgres
import Redis
import Schema

/// A fresh, migrated schema on the run's PostgreSQL server and a Redis key prefix of the test's
/// own. `with` removes both afterwards, whether the body threw or not.
public struct TestStores: Sendable {
    /// A pool whose search path is the fresh schema.
    public let pool: PostgresPool
    public let schema: String
    public let redis: RedisClient
    /// Ends with ":"; every key the test writes starts with it.
    public let prefix: String

    /// The run's database URL with `search_path` set to the fresh schema, for processes the test starts.
    public var databaseURL: String {
        get throws {
            var components = URLComponents(string: try TestEnvironment.databaseURL()) ?? URLComponents()
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "search_path", value: schema)]
            return components.string ?? ""
        }
    }

    /// Runs `body` with fresh stores named after `name`, then drops the schema, deletes the
    /// prefix's keys and closes the clients; an error of the body is rethrown after that.
    public static func with(_ name: String, connections: Int = 4, _ body: (TestStores) async throws -> Void) async throws {
        let base = try PostgresConfiguration(url: try TestEnvironment.databaseURL())
        let schema = TestEnvironment.uniqueName(name)
        let admin = try await PostgresConnection.connect(base)
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        var configuration = base
        configuration.searchPath = [schema]
        let pool = PostgresPool(configuration: configuration, options: .init(minimumConnections: 0, maximumConnections: connections))
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let stores = TestStores(pool: pool, schema: schema, redis: redis, prefix: TestEnvironment.uniqueName(name) + ":")
        var failure: (any Error)?
        do {
            try await Schema.migrator().migrate(pool)
            try await body(stores)
        } catch {
            failure = error
        }
        if let names = try? await redis.send("KEYS", stores.prefix + "*").array?.compactMap(\.string), !names.isEmpty {
            _ = try? await redis.delete(keys: names)
        }
        await redis.close()
        await pool.close()
        _ = try? await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
        if let failure { throw failure }
    }
}
