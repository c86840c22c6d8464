import ArgumentParser
import ServiceRuntime

/// The `alphapulse-gateway` command line: serve the REST and WebSocket API, health aggregation and alerts.
public struct GatewayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "alphapulse-gateway",
        abstract: "AlphaPulse gateway: serve the REST and WebSocket API, health aggregation and alerts.",
        subcommands: [ServeCommand.self, KeysCommand.self, MigrateCommand.self, ConfigCommand.self, HealthcheckCommand.self]
    )

    public init() {}
}
