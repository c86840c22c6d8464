import Contracts
import Foundation
import Logging
import Metrics
import Postgres
import Redis
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// An alert as stored, published on `alerts` and served at `/api/v1/alerts`.
struct AlertRecord: Encodable {
    var id: Int64
    var fingerprint: String
    var rule: String
    var subject: String
    var severity: String
    /// `firing` or `resolved`.
    var state: String
    var message: String
    @OrNull var value: Double?
    var createdAt: Int64
    @OrNull var resolvedAt: Int64?
    @OrNull var acknowledgedAt: Int64?

    /// The columns `init(row:)` reads, in order.
    static let columns = """
        id, fingerprint, rule, subject, severity, message, value, (extract(epoch FROM created_at) * 1000)::bigint,
        (extract(epoch FROM resolved_at) * 1000)::bigint, (extract(epoch FROM acknowledged_at) * 1000)::bigint
        """

    init(row: PostgresRow) throws {
        id = try row.decode(0, as: Int64.self)
        fingerprint = try row.decode(1, as: String.self)
        rule = try row.decode(2, as: String.self)
        subject = try row.decode(3, as: String.self)
        severity = try row.decode(4, as: String.self)
        message = try row.decode(5, as: String.self)
        value = try row.decode(6, as: Double?.self)
        createdAt = try row.decode(7, as: Int64.self)
        let resolved = try row.decode(8, as: Int64?.self)
        resolvedAt = resolved
        acknowledgedAt = try row.decode(9, as: Int64?.self)
        state = resolved == nil ? "firing" : "resolved"
    }
}

/// The gateway's monitor. Every gateway runs one; the one holding the `monitor` lease acts:
/// every `metrics.interval_seconds` it samples the suite (`SuiteMetrics`) into
/// `metrics:history`, evaluates the alert rules (`AlertBook`) and writes what changed to
/// `alerts`, then publishes committed, unpublished alerts on `alerts` (the outbox).
///
/// Fencing: writes to Redis go through a script that compares the lease value; writes to
/// PostgreSQL check, in their transaction, that `lease_fences` still holds the epoch this
/// monitor took when it took the lease. A monitor taking over rebuilds its book from the
/// unresolved alerts of record, so a failover neither duplicates nor forgets an alert.
///
/// While Redis is unreachable nobody can take the lease, so the last leader carries on with
/// what it can still judge (Redis itself unreachable), its writes fenced by its epoch.
final class Monitor: Service, Sendable {
    let settings: MonitorSettings
    let postgres: PostgresPool
    let redis: RedisClient
    let keys: RedisKeys
    let metrics: SuiteMetrics
    let elector: LeaderElector
    let logger: Logger
    let rounds = Mutex(0)

    static let fenceName = "monitor"

    init(settings: MonitorSettings, postgres: PostgresPool, redis: RedisClient, keys: RedisKeys, metrics: SuiteMetrics, instance: String, logger: Logger) {
        self.settings = settings
        self.postgres = postgres
        self.redis = redis
        self.keys = keys
        self.metrics = metrics
        self.logger = logger
        elector = LeaderElector(redis: redis, key: keys.lease("monitor"), instance: instance, ttl: settings.leaseTTL, name: "monitor", logger: logger)
    }

    struct State: Sendable {
        var book: AlertBook
        var inputs: AlertInputs
        /// The elector's epoch and the PostgreSQL fence epoch taken for it; nil while standing by.
        var leaseEpoch: Int?
        var fence: Int64?
        var token: String?
        /// Changes not yet written (PostgreSQL unreachable), oldest first.
        var pending: [Pending] = []
    }

    struct Pending: Sendable {
        var change: AlertBook.Change
        var at: Int64
        /// Already published straight from memory (PostgreSQL was unreachable): stored as published.
        var published = false
    }

    /// A fenced write found the fence taken by a newer monitor.
    struct Fenced: Error {}

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.elector.run() }
                    group.addTask { try await self.loop() }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            // Graceful shutdown.
        }
    }

    private func loop() async throws {
        var state = State(book: AlertBook(rules: settings.rules), inputs: AlertInputs(windowMillis: settings.windowMillis, crashMillis: settings.crashMillis))
        while true {
            // The first round one interval after start: the services booted with it get to beat.
            try await Task.sleep(for: settings.interval)
            await round(&state)
            rounds.withLock { $0 += 1 }
        }
    }

    /// One round: lead or stand by, sample, judge, write, publish.
    func round(_ state: inout State) async {
        // Bounded probes: the clients retry reconnecting for seconds, so an outage shorter than
        // their retry window would otherwise look like a slow answer, never like an outage.
        let redis = self.redis
        let redisUp = await Readiness.probe(timeout: settings.probeTimeout) { _ = try await redis.ping() } == nil
        if let leadership = elector.leadership {
            if leadership.epoch != state.leaseEpoch {
                guard await takeOver(&state, epoch: leadership.epoch) else { return }
            }
            state.token = leadership.token
        } else if redisUp || state.fence == nil {
            if state.leaseEpoch != nil { logger.info("monitor standing by") }
            state.leaseEpoch = nil
            state.fence = nil
            state.token = nil
            state.pending.removeAll()
            return
        }
        // Leading, or the last leader while Redis is unreachable.
        let now = redisUp ? ((try? await metrics.redisTime()) ?? Self.wallMillis()) : Self.wallMillis()
        let postgres = self.postgres
        let databaseUp = await Readiness.probe(timeout: settings.probeTimeout) { _ = try await postgres.query("SELECT 1") } == nil
        var snapshot: SuiteMetrics.Snapshot?
        var deadLetters: [String: Int]?
        if redisUp {
            do {
                snapshot = try await metrics.snapshot()
            } catch {
                logger.warning("monitor could not sample the suite", metadata: ["error": "\(error)"])
            }
            deadLetters = try? await recentDeadLetters(now: now)
        }
        if let snapshot, let token = state.token {
            do {
                guard try await appendHistory(snapshot.sample, token: token) else {
                    standDown(&state, reason: "the history write was fenced off")
                    return
                }
            } catch {
                logger.warning("metrics sample not stored", metadata: ["error": "\(error)"])
            }
        }
        let (observations, measured) = state.inputs.observe(.init(
            now: now, databaseUp: databaseUp, redisUp: redisUp, snapshot: snapshot, deadLetters: deadLetters))
        let changes = state.book.evaluate(at: now, observations: observations, measured: measured)
        for change in changes {
            state.pending.append(Pending(change: change, at: now))
            if case .raise(let observation, let severity, _) = change {
                Counter(label: "alphapulse.gateway.alerts_raised", dimensions: [("rule", observation.rule)]).increment()
                logger.warning("alert raised", metadata: ["alert.fingerprint": "\(observation.fingerprint)", "alert.severity": "\(severity.rawValue)",
                                                          "alert.message": "\(observation.message)"])
            } else if case .resolve(let fingerprint, let rule, _) = change {
                Counter(label: "alphapulse.gateway.alerts_resolved", dimensions: [("rule", rule)]).increment()
                logger.info("alert resolved", metadata: ["alert.fingerprint": "\(fingerprint)"])
            }
        }
        if state.pending.count > settings.pendingCapacity {
            let dropped = state.pending.count - settings.pendingCapacity
            state.pending.removeFirst(dropped)
            Counter(label: "alphapulse.gateway.alert_changes_dropped").increment(by: Int64(dropped))
            // What is written no longer matches the book: rebuild from the record when the database is back.
            state.leaseEpoch = nil
        }
        guard databaseUp else {
            await publishUnrecorded(&state)
            return
        }
        do {
            try await write(&state)
        } catch is Fenced {
            standDown(&state, reason: "a newer monitor took the fence")
            return
        } catch {
            logger.warning("alert changes not written; kept for the next round", metadata: ["error": "\(error)", "alerts.pending": "\(state.pending.count)"])
            return
        }
        if redisUp { await publishOutbox() }
    }

    // MARK: - Leading

    /// Takes the PostgreSQL fence for a new lead and rebuilds the book from the record.
    private func takeOver(_ state: inout State, epoch: Int) async -> Bool {
        do {
            let fence = try await postgres.query("""
                INSERT INTO lease_fences (name, epoch, holder) VALUES (\(Self.fenceName), 1, \(elector.instance))
                ON CONFLICT (name) DO UPDATE SET epoch = lease_fences.epoch + 1, holder = EXCLUDED.holder, taken_at = now()
                RETURNING epoch
                """).first?.decode(0, as: Int64.self)
            let open = try await postgres.query("""
                SELECT rule, subject, (extract(epoch FROM created_at) * 1000)::bigint FROM alerts
                WHERE resolved_at IS NULL AND source = 'monitor'
                """).map { (rule: try $0.decode(0, as: String.self), subject: try $0.decode(1, as: String.self), since: try $0.decode(2, as: Int64.self)) }
            state.book.restore(firing: open)
            state.inputs = AlertInputs(windowMillis: settings.windowMillis, crashMillis: settings.crashMillis)
            state.pending.removeAll()
            state.fence = fence
            state.leaseEpoch = epoch
            logger.info("monitor took the lead", metadata: ["fence.epoch": "\(fence ?? 0)", "alerts.open": "\(open.count)"])
            return fence != nil
        } catch {
            logger.warning("monitor could not take over; retrying next round", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func standDown(_ state: inout State, reason: String) {
        logger.warning("monitor lost the lead", metadata: ["reason": "\(reason)"])
        elector.lost()
        state.leaseEpoch = nil
        state.fence = nil
        state.token = nil
        state.pending.removeAll()
    }

    // MARK: - Writes

    /// Writes the pending changes in one transaction fenced by this monitor's epoch.
    private func write(_ state: inout State) async throws {
        guard !state.pending.isEmpty, let fence = state.fence else { return }
        let pending = state.pending
        try await postgres.transaction { connection in
            let current = try await connection.query("SELECT epoch FROM lease_fences WHERE name = \(Self.fenceName) FOR SHARE").first?
                .decode(0, as: Int64.self)
            guard current == fence else { throw Fenced() }
            for item in pending {
                let at = Double(item.at) / 1000
                let publishedAt: Double? = item.published ? at : nil
                switch item.change {
                case .raise(let observation, let severity, let since):
                    _ = try await connection.execute("""
                        INSERT INTO alerts (created_at, severity, source, kind, rule, subject, fingerprint, message, value, details, published_at)
                        VALUES (to_timestamp(\(Double(since) / 1000)), \(severity.rawValue), 'monitor', \(observation.rule), \(observation.rule),
                                \(observation.subject), \(observation.fingerprint), \(observation.message), \(observation.value),
                                '{}', to_timestamp(\(publishedAt)))
                        ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING
                        """)
                case .resolve(let fingerprint, _, _):
                    _ = try await connection.execute("""
                        UPDATE alerts SET resolved_at = greatest(created_at, to_timestamp(\(at))),
                            resolution_published_at = to_timestamp(\(publishedAt))
                        WHERE fingerprint = \(fingerprint) AND resolved_at IS NULL
                        """)
                }
            }
        }
        state.pending.removeAll()
    }

    /// PostgreSQL is unreachable: changes that cannot wait for it (the database alert itself)
    /// are published from memory, fenced by the lease; they are stored as published later.
    private func publishUnrecorded(_ state: inout State) async {
        guard let token = state.token else { return }
        for index in state.pending.indices where !state.pending[index].published {
            let item = state.pending[index]
            let event: [String: Any]
            switch item.change {
            case .raise(let observation, let severity, let since):
                event = ["id": NSNull(), "fingerprint": observation.fingerprint, "rule": observation.rule, "subject": observation.subject,
                         "severity": severity.rawValue, "state": "firing", "message": observation.message, "value": observation.value,
                         "created_at": since, "resolved_at": NSNull(), "acknowledged_at": NSNull()]
            case .resolve(let fingerprint, let rule, let subject):
                event = ["id": NSNull(), "fingerprint": fingerprint, "rule": rule, "subject": subject, "state": "resolved",
                         "resolved_at": item.at]
            }
            guard let data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]),
                  let published = try? await fencedPublish(String(decoding: data, as: UTF8.self), token: token) else { return }
            guard published else { return }
            state.pending[index].published = true
        }
    }

    /// Committed alerts and resolutions not yet published, oldest first, then marked.
    func publishOutbox() async {
        do {
            let rows = try await postgres.query("""
                SELECT \(unsafeSQL: AlertRecord.columns), published_at IS NULL FROM alerts
                WHERE published_at IS NULL OR (resolved_at IS NOT NULL AND resolution_published_at IS NULL)
                ORDER BY id LIMIT 500
                """)
            for row in rows {
                let alert = try AlertRecord(row: row)
                let raiseUnpublished = try row.decode(10, as: Bool.self)
                if raiseUnpublished, alert.resolvedAt != nil {
                    // Raised and resolved before either was published: both, in order.
                    var raised = alert
                    raised.state = "firing"
                    raised.resolvedAt = nil
                    _ = try await redis.publish(String(decoding: try JSONResponse.encoder.encode(raised), as: UTF8.self), to: keys.alerts)
                }
                _ = try await redis.publish(String(decoding: try JSONResponse.encoder.encode(alert), as: UTF8.self), to: keys.alerts)
                _ = try await postgres.execute("""
                    UPDATE alerts SET published_at = coalesce(published_at, now()),
                        resolution_published_at = CASE WHEN resolved_at IS NOT NULL THEN coalesce(resolution_published_at, now()) END
                    WHERE id = \(alert.id)
                    """)
            }
        } catch {
            logger.warning("alerts not published; retrying next round", metadata: ["error": "\(error)"])
        }
    }

    /// Appends a sample to `metrics:history` if the lease is still `token`'s; false when fenced off.
    private func appendHistory(_ sample: SuiteMetrics.Sample, token: String) async throws -> Bool {
        let json = String(decoding: try JSONResponse.encoder.encode(sample), as: UTF8.self)
        let reply = try await redis.send(arguments: [
            "EVAL", RedisArgument(Self.historyScript), "2", RedisArgument(elector.key), RedisArgument(keys.metricsHistory),
            RedisArgument(token), RedisArgument(json), RedisArgument(settings.historyLength - 1),
        ]).checked()
        return reply.int == 1
    }

    private func fencedPublish(_ message: String, token: String) async throws -> Bool {
        let reply = try await redis.send(arguments: [
            "EVAL", RedisArgument(Self.publishScript), "1", RedisArgument(elector.key), RedisArgument(token),
            RedisArgument(keys.alerts), RedisArgument(message),
        ]).checked()
        return reply.int == 1
    }

    static let historyScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('RPUSH', KEYS[2], ARGV[2])
        redis.call('LTRIM', KEYS[2], -1 - tonumber(ARGV[3]), -1)
        return 1
        """

    static let publishScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 1
        """

    /// Entries added to each dead-letter stream within the window (stream ids are Redis's
    /// clock), counted up to 10,000.
    private func recentDeadLetters(now: Int64) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (name, key) in [("candles", keys.candlesDead), ("jobs", keys.jobsDead)] {
            counts[name] = try await redis.xrange(key, start: "\(max(0, now - settings.windowMillis))-0", count: 10_000).count
        }
        return counts
    }

    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
