import ArgumentParser
import CandleStore
import Contracts
import ServiceRuntime

/// `alphapulse-scheduler serve`: the long-running scheduler.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Enqueue analysis jobs: round-robin batches, candle closes, or both (analysis.mode).",
        discussion: """
            Run two or more for availability: one holds the leader lease and enqueues, the others follow the \
            candles and the list and take over within scheduler.lease_ttl_seconds. `alphapulse-scheduler status` \
            prints what the leader last wrote.
            """
    )

    @OptionGroup public var options: ServiceOptions

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let settings = try SchedulerService.Settings(config: config)
        let app = try await ServiceApp(service: "scheduler", config: config)
        let context = app.context
        let service = SchedulerService(
            settings: settings, redis: context.redis, store: CandleStore(postgres: context.postgres, logger: context.logger),
            keys: RedisKeys(prefix: config.redis.prefix), instance: context.instance, logger: context.logger)
        context.readiness.watch(service.progress, limit: .seconds(config.ingest.stallSeconds))
        try await app.run([service], stats: { service.stats() })
    }
}

/// `alphapulse-scheduler status [--json]`: prints `scheduler:status` and who holds the lease.
public struct StatusCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the scheduler's status (from Redis): leader, mode, position, exchange time, counts."
    )

    @OptionGroup public var options: ServiceOptions

    @Flag(help: "Print the raw fields as JSON.")
    var json = false

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let lines = try await SchedulerStatusReport.read(config: config)
        print(json ? lines.json : lines.text)
    }
}
