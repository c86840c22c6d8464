import ArgumentParser
import Core
import Foundation
import Logging
import Postgres
import REST
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

    @Flag(name: .long, help: "Print every environment variable the services read instead, one per line, with its default.")
    public var environment = false

    public init() {}

    public func run() async throws {
        if environment {
            // NAME=default; a secret key's _FILE form has no default; ALPHAPULSE_CONFIG names the YAML file.
            print("ALPHAPULSE_CONFIG=")
            for key in ConfigKeys.all {
                print("\(key.environmentName)=\(key.defaultValue)")
                if key.isSecret { print("\(key.environmentName)\(ConfigKey.fileSuffix)=") }
            }
            return
        }
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

/// `alphapulse-<service> healthcheck`: asks this host's instance of the service for `/readyz`
/// (or `/healthz` with `--live`) on its configured port and exits 0 when it answers 200, 1
/// otherwise. For container healthchecks, so no curl is needed in the image.
public struct HealthcheckCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when this host's instance is ready (/readyz), 1 when not.",
        discussion: "Asks http.host (127.0.0.1 when it is a wildcard address) on ports.<service>. With --live, asks /healthz: alive, even if a store is down."
    )

    @OptionGroup public var options: ServiceOptions

    @Flag(name: .long, help: "Ask /healthz (the process is alive) instead of /readyz (it is ready).")
    public var live = false

    @Option(name: .long, help: "The service (default: from the executable's name, alphapulse-<service>).")
    public var service: String?

    @Option(name: .long, help: "Seconds to wait for an answer.")
    public var timeout: Double = 5

    public init() {}

    /// `alphapulse-ingest` → `ingest`.
    static func service(fromExecutable path: String) -> String? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return name.hasPrefix("alphapulse-") ? String(name.dropFirst("alphapulse-".count)) : nil
    }

    public func run() async throws {
        let config = try options.load()
        guard let service = service ?? Self.service(fromExecutable: CommandLine.arguments[0]) else {
            throw ValidationError("cannot tell the service from the executable's name: pass --service")
        }
        guard let port = config.runtime.ports[service] else {
            throw ValidationError("no ports.\(service) key: pass --service symbols|ingest|scheduler|inference|gateway")
        }
        guard port > 0 else {
            throw ValidationError("ports.\(service) is 0 (an ephemeral port): a healthcheck needs the port set")
        }
        let host = ["0.0.0.0", "::", "[::]", ""].contains(config.runtime.httpHost) ? "127.0.0.1" : config.runtime.httpHost
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let url = "http://\(bracketed):\(port)/\(live ? "healthz" : "readyz")"
        let client = RESTClient(configuration: .init(
            timeout: .milliseconds(Int64(timeout * 1000)), connectTimeout: .milliseconds(Int64(timeout * 1000)), maxRetries: 0))
        do {
            _ = try await client.get(url)
            print("\(service): \(live ? "alive" : "ready") (\(url))")
        } catch {
            print("\(service): not \(live ? "alive" : "ready") (\(url)): \(error)")
            throw ExitCode(1)
        }
    }
}
