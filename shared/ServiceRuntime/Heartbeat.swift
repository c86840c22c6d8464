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
/// Fields: see `HeartbeatField` (Contracts) — who and what status, the start counter of this
/// instance id, CPU and resident memory from /proc, then the service's own stats.
public struct Heartbeat: Service {
    public typealias Stats = @Sendable () async -> [(String, String)]

    public let key: String
    let restartsKey: String
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
        self.restartsKey = RedisKeys(prefix: prefix).restarts(service, instance)
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
        var starts: Int?
        var previous: (time: ContinuousClock.Instant, stats: ProcessStats)?
        let failures = Metrics.Counter(label: "alphapulse.heartbeat.failures")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let results = await readiness.evaluate()
            let failed = results.filter { $0.failure != nil }.map(\.name)
            do {
                if starts == nil {
                    // Counted once per process start, per stable instance id.
                    starts = try await cancelWhenGracefulShutdown { try await self.redis.send(arguments: ["INCR", RedisArgument(self.restartsKey)]).checked().int }
                }
                var process: [(String, String)] = []
                if let starts { process += [(HeartbeatField.starts, String(starts)), (HeartbeatField.restarts, String(max(0, starts - 1)))] }
                let now = ContinuousClock.now
                if let stats = ProcessStats.current() {
                    process.append((HeartbeatField.cpuSeconds, String(format: "%.2f", stats.cpuSeconds)))
                    process.append((HeartbeatField.rssBytes, String(stats.residentBytes)))
                    if let previous, now > previous.time {
                        let elapsed = Double((now - previous.time).components.seconds) + Double((now - previous.time).components.attoseconds) / 1e18
                        process.append((HeartbeatField.cpuPercent, String(format: "%.1f", 100 * (stats.cpuSeconds - previous.stats.cpuSeconds) / elapsed)))
                    }
                    previous = (now, stats)
                }
                let degraded = readiness.degraded, processFields = process
                // A write waiting on an unreachable Redis must not hold up shutdown.
                try await cancelWhenGracefulShutdown {
                    try await self.write(
                        status: failed.isEmpty && degraded.isEmpty ? "ready" : "degraded", startedAt: startedAt, failedChecks: failed,
                        stats: [(HeartbeatField.degraded, degraded.map { "\($0.name): \($0.reason)" }.joined(separator: "; "))] + processFields
                            + (await self.stats()))
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
            (SchemaVersion.field, String(SchemaVersion.current)), ("service", service), ("instance", instance), ("status", status),
            ("pid", String(ProcessInfo.processInfo.processIdentifier)), ("host", ProcessInfo.processInfo.hostName),
            ("started_at", startedAt), ("updated_at", Self.iso(Date())), ("checks", failedChecks.joined(separator: ",")),
        ]
        fields.append(contentsOf: stats)
        // One transaction, so a reader never sees the hash missing or half written.
        let replies = try await redis.pipeline(commands: [
            ["MULTI"],
            ["DEL", RedisArgument(key)],
            RedisArgument.hset(key, fields: fields),
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
