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
///
/// Unclean exits: while it runs, an instance keeps `running:{service}:{instance}` (its pid and
/// a random token, rewritten with every beat, so it survives a Redis that lost its data; a week's
/// TTL) and deletes it at
/// graceful shutdown. A start that finds it follows a `kill -9`, a crash or a power cut: it
/// counts one in `crashes:{service}:{instance}` with Redis's time, and every beat carries the
/// count and that time (`crashes`, `crashed_at`), from which the monitor raises `crashed`.
public struct Heartbeat: Service {
    public typealias Stats = @Sendable () async -> [(String, String)]

    public let key: String
    let restartsKey: String
    let runningKey: String
    let crashesKey: String
    /// Marks `running:` as this run's: the pid and a random part (a container's pid repeats).
    let runToken: String
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
        self.runningKey = RedisKeys(prefix: prefix).running(service, instance)
        self.crashesKey = RedisKeys(prefix: prefix).crashes(service, instance)
        self.runToken = "\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString)"
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
        var crashes: [(String, String)] = []
        var previous: (time: ContinuousClock.Instant, stats: ProcessStats)?
        let failures = Metrics.Counter(label: "alphapulse.heartbeat.failures")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let results = await readiness.evaluate()
            let failed = results.filter { $0.failure != nil }.map(\.name)
            do {
                if starts == nil {
                    // Counted once per process start, per stable instance id.
                    let counted = try await cancelWhenGracefulShutdown { try await self.countStart() }
                    starts = counted.starts
                    crashes = counted.crashes
                }
                var process: [(String, String)] = []
                if let starts { process += [(HeartbeatField.starts, String(starts)), (HeartbeatField.restarts, String(max(0, starts - 1)))] }
                process += crashes
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
        let redis = self.redis, key = self.key, runningKey = self.runningKey, logger = self.logger
        await withTimeLimit(.seconds(2)) {
            do {
                _ = try await redis.delete(keys: [key, runningKey])
            } catch {
                logger.warning("heartbeat not removed at shutdown; it expires by itself, and the next start counts an unclean exit",
                               metadata: ["error": "\(error)"])
            }
        }
    }

    /// Counts this start (`restarts:…`), marks the instance running with this run's token, and
    /// counts an unclean exit when another run's mark was still there — all in one script, so a
    /// retry after a lost reply finds its own token and counts nothing twice. Returns the start
    /// count and the heartbeat's `crashes` fields.
    func countStart() async throws -> (starts: Int?, crashes: [(String, String)]) {
        let reply = try await redis.send(arguments: [
            "EVAL", RedisArgument(Self.startScript), "3", RedisArgument(restartsKey), RedisArgument(runningKey), RedisArgument(crashesKey),
            RedisArgument(runToken), RedisArgument(Self.runningTTLMilliseconds),
        ]).checked()
        guard let parts = reply.array, parts.count == 3 else { throw RedisError.unexpected(reply, expected: "starts, crash flag, crashes", command: "EVAL") }
        if parts[1].int == 1 {
            logger.warning("the previous run of this instance did not stop cleanly (killed or crashed)")
        }
        var fields: [String: String] = [:]
        let flat = parts[2].array ?? []
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            if let name = flat[index].string, let value = flat[index + 1].string { fields[name] = value }
        }
        var crashes: [(String, String)] = [(HeartbeatField.crashes, fields["count"] ?? "0")]
        if let at = fields["at"] { crashes.append((HeartbeatField.crashedAt, at)) }
        return (parts[0].int, crashes)
    }

    /// How long a `running:` mark outlives its last beat: a week (an instance id that never
    /// comes back leaves nothing behind for good; one back after longer counts no crash).
    static let runningTTLMilliseconds = 7 * 86_400_000

    /// KEYS: restarts, running, crashes; ARGV: this run's token, the mark's TTL (ms).
    /// Returns {starts, 1 if an unclean exit was counted now else 0, HGETALL crashes}.
    static let startScript = """
        local previous = redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'GET')
        if previous == ARGV[1] then
            return {tonumber(redis.call('GET', KEYS[1]) or '0'), 0, redis.call('HGETALL', KEYS[3])}
        end
        local starts = redis.call('INCR', KEYS[1])
        local crashed = 0
        if previous then
            local now = redis.call('TIME')
            redis.call('HINCRBY', KEYS[3], 'count', 1)
            redis.call('HSET', KEYS[3], 'at', string.format('%.0f', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)))
            crashed = 1
        end
        return {starts, crashed, redis.call('HGETALL', KEYS[3])}
        """

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
            ["SET", RedisArgument(runningKey), RedisArgument(runToken), "PX", RedisArgument(Self.runningTTLMilliseconds)],
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
