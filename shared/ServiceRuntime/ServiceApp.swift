import Core
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Postgres
import Prometheus
import Redis
import Schema
import ServiceLifecycle
import UnixSignals

/// What every service gets from the runtime: configuration, logger, the database pool, the
/// Redis client and the readiness checks that `/readyz` and the heartbeat report.
public struct ServiceContext: Sendable {
    public let service: String
    public let instance: String
    public let config: AlphaPulseConfig
    public let logger: Logger
    public let postgres: PostgresPool
    public let redis: RedisClient
    public let readiness: Readiness
}

/// Runs one service process: logging and metrics, the database pool (migrated unless
/// configured not to), Redis, the HTTP port with `/metrics`, `/healthz` and `/readyz`, the
/// heartbeat, and the service's own long-running `Service`s — in a `ServiceGroup` that stops
/// them in reverse order on SIGTERM or SIGINT, so each can flush what it buffered.
public final class ServiceApp: Sendable {
    public let context: ServiceContext
    let registry: PrometheusCollectorRegistry
    let port: Int

    /// Connects to the stores and migrates. Fails fast with a clear error when the
    /// configuration is wrong or the database cannot be migrated.
    /// - Parameter sessionSettings: PostgreSQL settings for every pooled session of this service
    ///   (`name=value`), after those of `database.url`.
    public init(service: String, config: AlphaPulseConfig, port: Int? = nil, sessionSettings: [String] = []) async throws {
        let registry = Observability.bootstrap(service: service, config: config)
        let instance = config.runtime.instanceID.isEmpty
            ? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
            : config.runtime.instanceID
        var logger = Logger(label: "alphapulse.\(service)")
        logger[metadataKey: "instance"] = "\(instance)"
        var postgresConfiguration = try PostgresConfiguration(url: config.database.url)
        if !sessionSettings.isEmpty {
            let options = ([postgresConfiguration.extraParameters["options"] ?? ""] + sessionSettings.map { "-c " + $0 })
            postgresConfiguration.extraParameters["options"] = options.filter { !$0.isEmpty }.joined(separator: " ")
        }
        let postgres = PostgresPool(
            configuration: postgresConfiguration,
            options: .init(
                minimumConnections: config.database.poolMin, maximumConnections: config.database.poolMax,
                acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)
            ),
            logger: logger
        )
        var redisConfiguration = try RedisConfiguration(url: config.redis.url)
        redisConfiguration.poolSize = config.redis.poolSize
        let redis = RedisClient(configuration: redisConfiguration, logger: logger)
        if config.database.migrateOnStart {
            let applied = try await Schema.migrator().migrate(postgres)
            if !applied.isEmpty { logger.info("migrated", metadata: ["db.migrations": "\(applied.map(\.version))"]) }
        }
        await postgres.warmUp()
        let readiness = Readiness()
        readiness.add("postgres") { try await postgres.query("SELECT 1") }
        readiness.add("redis") { _ = try await redis.ping() }
        self.context = ServiceContext(
            service: service, instance: instance, config: config, logger: logger,
            postgres: postgres, redis: redis, readiness: readiness
        )
        self.registry = registry
        self.port = port ?? config.runtime.ports[service] ?? 0
        logger.info("starting", metadata: [
            "db.url": "\(postgres.configuration)", "redis.url": "\(Redaction.url(config.redis.url))", "http.port": "\(self.port)",
        ])
    }

    /// Runs `services` until a signal (or `shutdown()`) asks the process to stop, then closes
    /// the stores.
    /// - Parameters:
    ///   - stats: extra heartbeat fields, sampled at every beat.
    ///   - signals: the signals that start a graceful shutdown (none in tests).
    ///   - routes: the service's own HTTP middleware and routes, on its port (see `HealthServer.make`).
    ///   - server: the HTTP server (`.http1()`; the gateway's also upgrades WebSockets).
    public func run(
        _ services: [any Service], stats: @escaping Heartbeat.Stats = { [] },
        signals: [UnixSignal] = [.sigterm, .sigint], onListening: @escaping @Sendable (Int) async -> Void = { _ in },
        server: HTTPServerBuilder = .http1(), routes: (Router<BasicRequestContext>) -> Void = { _ in }
    ) async throws {
        let config = context.config
        let http = HealthServer.make(
            service: context.service, host: config.runtime.httpHost, port: port, readiness: context.readiness,
            registry: registry, logger: context.logger, routes: routes, server: server, onRunning: onListening
        )
        let heartbeat = Heartbeat(
            service: context.service, instance: context.instance, prefix: config.redis.prefix,
            interval: .seconds(config.runtime.heartbeatIntervalSeconds), ttl: .seconds(config.runtime.heartbeatTTLSeconds),
            redis: context.redis, readiness: context.readiness, logger: context.logger, stats: stats
        )
        // Started in this order and stopped in reverse: the service's own work stops first
        // (flushing), then the heartbeat goes, then the HTTP port closes.
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: http), .init(service: heartbeat)] + services.map { .init(service: $0) }
                + (SystemdNotifier(readiness: context.readiness, logger: context.logger).map { [.init(service: $0)] } ?? []),
            gracefulShutdownSignals: signals,
            cancellationSignals: [],
            logger: context.logger
        )
        // A graceful stop that takes longer than `shutdown.grace_seconds` (a store gone, a
        // service slow to let go) turns into cancellation, so SIGTERM always ends the process.
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(config.runtime.shutdownGraceSeconds * 1000))
        let group = ServiceGroup(configuration: configuration)
        await groupBox.set(group)
        defer { Task { await self.groupBox.set(nil) } }
        do {
            try await group.run()
        } catch {
            context.logger.error("stopped with an error", metadata: ["error": "\(error)"])
            await closeStores()
            throw error
        }
        await closeStores()
        context.logger.info("stopped")
    }

    /// Starts a graceful shutdown, as SIGTERM would.
    public func shutdown() async {
        await groupBox.get()?.triggerGracefulShutdown()
    }

    /// Closes the stores without running: for one-shot commands that use the context only.
    public func close() async {
        await closeStores()
    }

    private func closeStores() async {
        await context.postgres.close()
        await context.redis.close()
    }

    private let groupBox = GroupBox()

    private actor GroupBox {
        var group: ServiceGroup?
        func set(_ group: ServiceGroup?) { self.group = group }
        func get() -> ServiceGroup? { group }
    }
}
