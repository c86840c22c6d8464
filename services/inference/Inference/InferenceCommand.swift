import ArgumentParser
import ServiceRuntime

/// The `alphapulse-inference` command line: run the nine analysis heads and consensus, emit and resolve signals.
public struct InferenceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-inference",
        abstract: "AlphaPulse inference: run the nine analysis heads and consensus, emit and resolve signals.",
        subcommands: [ServeCommand.self, StatusCommand.self, IndicatorsCommand.self, AnalyzeCommand.self, BacktestCommand.self, AuditCommand.self, MigrateCommand.self, ConfigCommand.self, HealthcheckCommand.self]
    )

    public init() {}
}
