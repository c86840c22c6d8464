import ArgumentParser
import Contracts
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import ServiceRuntime
import UnixSignals

/// `alphapulse-gateway serve`: the REST API on `ports.gateway`, beside /metrics, /healthz and /readyz.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the REST API (API keys required unless gateway.auth is off on loopback)."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let config = try options.load()
        let settings = try GatewaySettings(config: config)
        let app = try await ServiceApp(service: "gateway", config: config)
        try await GatewayServer.run(app, settings: settings)
    }
}

/// The gateway's HTTP port: problem+json errors, API-key access, the REST routes.
public enum GatewayServer {
    /// Serves until a signal in `signals` (or `app.shutdown()`) stops it.
    public static func run(
        _ app: ServiceApp, settings: GatewaySettings, signals: [UnixSignal] = [.sigterm, .sigint],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let context = app.context
        if !settings.auth { context.logger.warning("gateway.auth is off: every path is open to whoever reaches the loopback port") }
        let keys = KeyStore(postgres: context.postgres)
        let api = APIRoutes(postgres: context.postgres)
        let config = context.config
        let health = SuiteHealth(
            redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix), expected: settings.expectedServices,
            interval: .milliseconds(Int64(config.runtime.heartbeatIntervalSeconds * 1000)),
            ttl: .milliseconds(Int64(config.runtime.heartbeatTTLSeconds * 1000)))
        let limiter = RateLimiter(
            redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix), rate: settings.rateLimitPerSecond,
            burst: settings.rateLimitBurst, logger: context.logger)
        let listener = ReplyListener(
            redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix), instance: context.instance,
            capacity: settings.onDemandMaxWaiting, logger: context.logger)
        let signalRoutes = SignalRoutes(postgres: context.postgres, listener: listener, settings: settings)
        let status = StatusRoutes(postgres: context.postgres, redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix), health: health)
        var pushSettings = PushHub.Settings()
        pushSettings.queueCapacity = settings.webSocketQueue
        pushSettings.maxClients = settings.webSocketMaxClients
        let hub = PushHub(
            settings: pushSettings, redis: context.redis, postgres: context.postgres, keys: RedisKeys(prefix: config.redis.prefix),
            health: health, logger: context.logger)
        let suiteMetrics = SuiteMetrics(postgres: context.postgres, redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix), health: health, status: status)
        let monitor = Monitor(
            settings: try MonitorSettings(config: config), postgres: context.postgres, redis: context.redis,
            keys: RedisKeys(prefix: config.redis.prefix), metrics: suiteMetrics, instance: context.instance, logger: context.logger)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        PushRoutes(hub: hub, keys: keys, limiter: limiter, authEnabled: settings.auth, logger: context.logger).register(on: webSocketRouter)
        let server = HTTPServerBuilder.http1WebSocketUpgrade(
            webSocketRouter: webSocketRouter,
            configuration: .init(ws: WebSocketServerConfiguration(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30)))))
        try await app.run([listener, hub, monitor], signals: signals, onListening: onListening, server: server, routes: { router in
            router.add(middleware: ProblemMiddleware(logger: context.logger))
            router.add(middleware: AllowedOriginsMiddleware(origins: Set(settings.corsOrigins)))
            router.add(middleware: AuthMiddleware(keys: keys, limiter: limiter, enabled: settings.auth, metricsPublic: settings.metricsPublic))
            router.add(middleware: DocumentedMethodsMiddleware())
            router.get("health") { _, _ in try await health.response() }
            OpenAPIDocument.register(on: router)
            api.register(on: router)
            signalRoutes.register(on: router)
            status.register(on: router)
            PerformanceRoutes(postgres: context.postgres, health: health).register(on: router)
            suiteMetrics.register(on: router)
            OperatorRoutes(postgres: context.postgres, redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix)).register(on: router)
        })
    }
}
