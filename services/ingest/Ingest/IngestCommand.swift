import ArgumentParser
import ServiceRuntime

/// The `alphapulse-ingest` command line: ingest 1m klines over WebSocket, backfill gaps, persist candles and rollups.
public struct IngestCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-ingest",
        abstract: "AlphaPulse ingest: ingest 1m klines over WebSocket, backfill gaps, persist candles and rollups.",
        subcommands: [ServeCommand.self, ExportCommand.self, ImportCommand.self, MigrateCommand.self, ConfigCommand.self, HealthcheckCommand.self]
    )

    public init() {}
}
