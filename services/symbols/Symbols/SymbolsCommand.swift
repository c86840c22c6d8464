import ArgumentParser
import ServiceRuntime

/// The `alphapulse-symbols` command line: rank the most liquid Binance USDT markets and publish the tracked list.
public struct SymbolsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-symbols",
        abstract: "AlphaPulse symbols: rank the most liquid Binance USDT markets and publish the tracked list.",
        subcommands: [ServeCommand.self, RefreshCommand.self, ListCommand.self, MigrateCommand.self, ConfigCommand.self, HealthcheckCommand.self]
    )

    public init() {}
}
