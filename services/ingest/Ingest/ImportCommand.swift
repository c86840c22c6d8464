import ArgumentParser
import CandleStore
import Core
import Foundation
import Logging
import Postgres
import Schema
import ServiceRuntime

/// `alphapulse-ingest import --market M PATH`.
public struct ImportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load data.binance.vision 1m kline archives (a folder or a file, .csv or .zip) into the candle tables.",
        discussion: "Rows are upserted (a repeated kline updates, never duplicates) and 5m…1d candles derived as they land."
    )

    @OptionGroup var options: ServiceOptions

    @Option(help: "futures or spot.")
    var market: Market

    @Argument(help: "A file or folder of archives named SYMBOL-1m-….csv or .zip.")
    var path: String

    public init() {}

    public func run() async throws {
        let config = try options.load()
        Observability.bootstrap(service: "ingest", config: config)
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 2, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
            logger: Logger(label: "alphapulse.ingest"))
        do {
            if config.database.migrateOnStart { _ = try await Schema.migrator().migrate(pool) }
            let results = try await ArchiveImporter(store: CandleStore(postgres: pool)).importArchives(at: path, market: market)
            for result in results {
                if let skipped = result.skipped {
                    print("\(result.path): skipped (\(skipped))")
                } else {
                    print("\(result.path): \(result.symbol ?? "?") \(result.rows) rows, \(result.upsert.changed) new or changed")
                }
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}
