import ArgumentParser
import ServiceRuntime

/// The `alphapulse-replay` command line: `serve` (the default) plus the shared commands.
public struct ReplayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-replay",
        abstract: "AlphaPulse replay: serve Binance-compatible market data from archives or synthetic markets.",
        subcommands: [ServeCommand.self, MigrateCommand.self, ConfigCommand.self],
        defaultSubcommand: ServeCommand.self
    )

    public init() {}
}
