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
        let from = try Self.instant(self.from, option: "--from")
        let to = try Self.instant(self.to, option: "--to")
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

    static func instant(_ text: String, option: String) throws -> Int64 {
        if let date = try? Date(text, strategy: .iso8601) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        if let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        throw ValidationError("\(option) '\(text)' is not an ISO 8601 time such as 2026-02-10T12:00:00Z")
    }
}

extension CandleInterval: ExpressibleByArgument {}
