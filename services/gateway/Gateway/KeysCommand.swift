import ArgumentParser
import Foundation
import Logging
import Postgres
import Schema
import ServiceRuntime

/// `alphapulse-gateway keys create|list|revoke`: manage the API's keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// Runs `body` with a key store on a one-connection pool, migrated first.
    static func withStore<T>(_ options: ServiceOptions, _ body: (KeyStore) async throws -> T) async throws -> T {
        let config = try options.load()
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
            logger: Logger(label: "alphapulse.gateway.keys"))
        do {
            if config.database.migrateOnStart { _ = try await Schema.migrator().migrate(pool) }
            let result = try await body(KeyStore(postgres: pool))
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the only time it is shown).")

        @OptionGroup var options: ServiceOptions
        @Option(help: "Who or what uses the key.") var name: String
        @Option(help: "read, or admin (may also acknowledge alerts and refresh symbols).") var scope: String = "read"

        func run() async throws {
            guard let scope = APIScope(rawValue: scope) else { throw ValidationError("--scope must be read or admin") }
            let key = try await KeysCommand.withStore(options) { try await $0.create(name: name, scope: scope) }
            print(key.text)
            FileHandle.standardError.write(Data("created \(scope.rawValue) key \(key.prefix) for \(name); store it now, it is not shown again\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys: prefix, scope, name, created, revoked.")

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let entries = try await KeysCommand.withStore(options) { try await $0.list() }
            let format = Date.ISO8601FormatStyle()
            print("prefix            scope  created               revoked               name")
            for entry in entries {
                let created = Date(timeIntervalSince1970: Double(entry.createdAt) / 1000).formatted(format)
                let revoked = entry.revokedAt.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(format) } ?? "-"
                print("\(entry.prefix)  \(entry.scope.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  \(created)  \(revoked.padding(toLength: 20, withPad: " ", startingAt: 0))  \(entry.name)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its prefix; requests with it get 401 from then on.")

        @OptionGroup var options: ServiceOptions
        @Argument(help: "The key's prefix (as `keys list` shows it).") var prefix: String

        func run() async throws {
            try await KeysCommand.withStore(options) { try await $0.revoke(prefix: prefix) }
            print("revoked \(KeyStore.bare(prefix))")
        }
    }
}
