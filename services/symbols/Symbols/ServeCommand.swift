import ArgumentParser
import ServiceRuntime

/// `alphapulse-symbols serve`: the long-running service.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Keep the tracked list fresh: at start when stale, daily at symbols.refresh_at UTC, and on request.",
        discussion: """
            Several instances may run; one holds the leader lease and refreshes. Ask for a refresh now with \
            `redis-cli SET ap:symbols:refresh 1` (the prefix is redis.prefix).
            """
    )

    @OptionGroup public var options: ServiceOptions

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let app = try await ServiceApp(service: "symbols", config: config)
        let context = app.context
        let status = SymbolsStatus()
        let refresher = SymbolRefresher(context: context)
        let store = refresher.store
        context.readiness.add("symbols") {
            guard try await store.activeCounts().values.reduce(0, +) > 0 else { throw ListUnavailable() }
        }
        let service = SymbolsService(
            refresher: refresher, redis: context.redis, prefix: config.redis.prefix, instance: context.instance,
            settings: .init(config: config), readiness: context.readiness, status: status, logger: context.logger)
        try await app.run([service], stats: { status.stats() })
    }
}

/// The readiness failure before any list was stored.
struct ListUnavailable: Error, CustomStringConvertible {
    var description: String { "no symbol list stored yet" }
}
