import ArgumentParser
import Core
import Foundation
import Logging
import Postgres
import Schema

/// `alphapulse-<service> migrate`: applies pending database migrations and exits.
public struct MigrateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, then exit.",
        discussion: "Safe to run from several processes at once: one applies, the others wait and find nothing to do."
    )

    @OptionGroup public var options: ServiceOptions

    @Flag(name: .long, help: "List applied and pending migrations without applying any.")
    public var status = false

    public init() {}

    public func run() async throws {
        let config = try options.load()
        Observability.bootstrap(service: "migrate", config: config)
        let logger = Logger(label: "alphapulse.migrate")
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
            logger: logger
        )
        do {
            let migrator = try Schema.migrator()
            if status {
                let applied = Set(try await migrator.appliedVersions(pool))
                for migration in migrator.migrations {
                    print("\(applied.contains(migration.version) ? "applied" : "pending") \(migration.version)_\(migration.name)")
                }
            } else {
                let applied = try await migrator.migrate(pool)
                print(applied.isEmpty ? "schema is up to date" : "applied \(applied.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))")
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// `alphapulse-<service> config`: shows the effective configuration (secrets hidden) or the
/// reference of every key.
public struct ConfigCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration with where each value came from (secrets hidden)."
    )

    @OptionGroup public var options: ServiceOptions

    @Flag(name: .long, help: "Print every key as a Markdown reference table instead.")
    public var reference = false

    public init() {}

    public func run() async throws {
        if reference {
            print("| key | environment variable | default | meaning |")
            print("|---|---|---|---|")
            for key in ConfigKeys.all {
                print("| `\(key.path)` | `\(key.environmentName)` | `\(key.defaultValue)` | \(key.summary) |")
            }
            return
        }
        let config = try options.load()
        for entry in config.resolved.redactedEntries() {
            print("\(entry.path) = \(entry.value)    # \(entry.origin)")
        }
    }
}
