import Contracts
import ArgumentParser
import Core
import Foundation
import Logging
import Postgres
import ServiceRuntime

/// `alphapulse-symbols list [--market futures|spot] [--json]`: prints the current list.
public struct ListCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the tracked symbols (from PostgreSQL), by market and rank."
    )

    @OptionGroup public var options: ServiceOptions

    @Option(help: "Only this market: futures or spot.")
    var market: Market?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    public init() {}

    public func run() async throws {
        let config = try options.load()
        Observability.bootstrap(service: "symbols", config: config)
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
            logger: Logger(label: "alphapulse.symbols"))
        let list: [TrackedSymbol]
        do {
            list = try await SymbolStore(postgres: pool).active(market: market)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(list), as: UTF8.self))
        } else {
            print(Self.table(list))
        }
    }

    static func table(_ list: [TrackedSymbol]) -> String {
        guard !list.isEmpty else { return "no symbols tracked yet (run alphapulse-symbols refresh)" }
        let header = ["MARKET", "RANK", "SYMBOL", "BASE", "QUOTE VOLUME 24H", "LAST PRICE", "CHANGE %"]
        let rows = list.map {
            [$0.market.rawValue, String($0.rank), $0.symbol, $0.baseAsset, $0.quoteVolume24h, $0.lastPrice, $0.priceChangePercent]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let numeric: Set<Int> = [1, 4, 5, 6]
        return ([header] + rows).map { row in
            row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return numeric.contains(column) ? padding + row[column] : row[column] + padding
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

