import Contracts
import Foundation
import Logging
import Metrics
import Redis
import ServiceLifecycle

/// Writes the service's heartbeat to the Redis hash `{prefix}health:{service}:{instance}` every
/// interval, with a TTL, so the gateway sees live instances and their key stats. Removes it on
/// graceful shutdown.
///
/// Fields: `service`, `instance`, `status` (`ready`, `degraded` or `stopping`), `pid`, `host`,
/// `started_at` and `updated_at` (ISO 8601), `checks` (failed readiness checks), `degraded`
/// (what the service reports degraded, and why), then the service's own stats.
public struct Heartbeat: Service {
    public typealias Stats = @Sendable () async -> [(String, String)]

    public let key: String
    let service: String
    let instance: String
    let interval: Duration
    let ttl: Duration
    let redis: RedisClient
    let readiness: Readiness
    let stats: Stats
    let logger: Logger

    public init(
        service: String, instance: String, prefix: String, interval: Duration, ttl: Duration,
        redis: RedisClient, readiness: Readiness, logger: Logger, stats: @escaping Stats = { [] }
    ) {
        self.key = RedisKeys(prefix: prefix).health(service, instance)
        self.service = service
        self.instance = instance
        self.interval = interval
        self.ttl = ttl
        self.redis = redis
        self.readiness = readiness
        self.stats = stats
        self.logger = logger
    }

    public func run() async throws {
        let startedAt = Self.iso(Date())
        let failures = Metrics.Counter(label: "alphapulse.heartbeat.failures")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let results = await readiness.evaluate()
            let failed = results.filter { $0.failure != nil }.map(\.name)
            do {
                let degraded = readiness.degraded
                // A write waiting on an unreachable Redis must not hold up shutdown.
                try await cancelWhenGracefulShutdown {
                    try await self.write(
                        status: failed.isEmpty && degraded.isEmpty ? "ready" : "degraded", startedAt: startedAt, failedChecks: failed,
                        stats: [("degraded", degraded.map { "\($0.name): \($0.reason)" }.joined(separator: "; "))] + (await self.stats()))
                }
            } catch is CancellationError {
            } catch {
                if Task.isShuttingDownGracefully { break }
                failures.increment()
                logger.warning("heartbeat not written", metadata: ["heartbeat.key": "\(key)", "error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        let redis = self.redis, key = self.key, logger = self.logger
        await withTimeLimit(.seconds(2)) {
            do {
                _ = try await redis.delete(key)
            } catch {
                logger.warning("heartbeat not removed at shutdown; it expires by itself", metadata: ["error": "\(error)"])
            }
        }
    }

    func write(status: String, startedAt: String, failedChecks: [String], stats: [(String, String)]) async throws {
        var fields: [(String, String)] = [
            ("service", service), ("instance", instance), ("status", status),
            ("pid", String(ProcessInfo.processInfo.processIdentifier)), ("host", ProcessInfo.processInfo.hostName),
            ("started_at", startedAt), ("updated_at", Self.iso(Date())), ("checks", failedChecks.joined(separator: ",")),
        ]
        fields.append(contentsOf: stats)
        // One transaction, so a reader never sees the hash missing or half written.
        let replies = try await redis.pipeline(commands: [
            ["MULTI"],
            ["DEL", RedisArgument(key)],
            ["HSET", RedisArgument(key)] + fields.flatMap { [RedisArgument($0.0), RedisArgument($0.1)] },
            ["PEXPIRE", RedisArgument(key), RedisArgument(Int(ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000))],
            ["EXEC"],
        ])
        // An error inside the transaction (OOM, WRONGTYPE) comes back as a reply, not a throw.
        for reply in replies { _ = try reply.checked() }
        for reply in replies.last?.array ?? [] { _ = try reply.checked() }
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
