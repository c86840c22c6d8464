import ArgumentParser
import ServiceRuntime

/// The `alphapulse-scheduler` command line: decide what to analyse when and enqueue analysis jobs.
public struct SchedulerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-scheduler",
        abstract: "AlphaPulse scheduler: decide what to analyse when and enqueue analysis jobs.",
        subcommands: [ServeCommand.self, StatusCommand.self, MigrateCommand.self, ConfigCommand.self, HealthcheckCommand.self]
    )

    public init() {}
}
