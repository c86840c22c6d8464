import ArgumentParser
import ServiceRuntime

/// The `alphapulse-replay` command line: serve Binance-compatible market data from archives or synthetic markets.
public struct ReplayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-replay",
        abstract: "AlphaPulse replay: serve Binance-compatible market data from archives or synthetic markets.",
        subcommands: [MigrateCommand.self, ConfigCommand.self]
    )

    public init() {}
}
