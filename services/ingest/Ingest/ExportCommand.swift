import ArgumentParser
import CandleStore
import Core
import Foundation
import Logging
import Postgres
import ServiceRuntime

/// `alphapulse-ingest export --market M --symbol S --interval I --from T --to T`.
public struct ExportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write stored candles to standard output as data.binance.vision CSV (header row, 12 columns, ms times).",
        discussion: "Candles with open times from --from (inclusive) to --to (exclusive)."
    )

    @OptionGroup var options: ServiceOptions

    @Option(help: "futures or spot.")
    var market: Market

    @Option(help: "Symbol, e.g. BTCUSDT.")
    var symbol: String

    @Option(help: "1m, 5m, 15m, 1h, 4h or 1d.")
    var interval: CandleInterval

    @Option(help: ArgumentHelp("First open time, ISO 8601.", valueName: "iso8601"))
    var from: String

    @Option(help: ArgumentHelp("End (exclusive), ISO 8601.", valueName: "iso8601"))
    var to: String

    public init() {}

    public func run() async throws {
        let from = try ISOInstant.millis(self.from, option: "--from")
        let to = try ISOInstant.millis(self.to, option: "--to")
        guard from < to else { throw ValidationError("--from must be before --to") }
        let config = try options.load()
        Observability.bootstrap(service: "ingest", config: config)
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
            logger: Logger(label: "alphapulse.ingest"))
        let output = FileHandle.standardOutput
        do {
            try await CandleStore(postgres: pool).export(
                market: market, symbol: symbol.uppercased(), interval: interval, from: from, to: to
            ) { chunk in output.write(Data(chunk.utf8)) }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }
}
