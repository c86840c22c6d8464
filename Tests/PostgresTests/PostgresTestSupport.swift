import Foundation
import Postgres
import TestSupport

/// Runs `body` with a pool whose search_path is a fresh schema of its own, dropped afterwards,
/// so tests never share tables.
func withSchema<T: Sendable>(
    _ name: String = #function, options: PostgresPool.Options = .init(minimumConnections: 0, maximumConnections: 4, acquireTimeout: .seconds(10)),
    _ body: (PostgresPool, PostgresConfiguration) async throws -> T
) async throws -> T {
    let base = try PostgresConfiguration(url: try TestEnvironment.databaseURL())
    let schema = TestEnvironment.uniqueName(name)
    let admin = try await PostgresConnection.connect(base)
    try await admin.execute("CREATE SCHEMA \(identifier: schema)")
    var configuration = base
    configuration.searchPath = [schema]
    let pool = PostgresPool(configuration: configuration, options: options)
    do {
        let result = try await body(pool, configuration)
        await pool.close()
        try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
        return result
    } catch {
        await pool.close()
        _ = try? await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
        throw error
    }
}
