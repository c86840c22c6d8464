import Contracts
import Core

/// The monitor's rules, by name, with what each measures (the README's alert table).
public enum AlertRuleName {
    /// Per symbol: seconds since its newest kline frame, on the exchange's clock, or since the
    /// exchange's clock itself last moved (ingest stopped altogether).
    public static let staleData = "stale_data"
    /// Per ingest connection: 1 while disconnected.
    public static let connectionDown = "connection_down"
    /// `candles` entries not yet stored.
    public static let persisterLag = "persister_lag"
    /// Routine jobs not yet taken by inference (undelivered + pending).
    public static let jobLag = "job_lag"
    /// Per dead-letter stream: entries added within `alerts.window_seconds`.
    public static let deadLetters = "dead_letters"
    /// Per expected service: 1 while no instance has a live heartbeat.
    public static let heartbeatMissing = "heartbeat_missing"
    /// Share of inference's jobs dead-lettered within the window.
    public static let errorRate = "error_rate"
    /// Per status (429, 418): Binance answers of that status within the window.
    public static let binanceLimited = "binance_limited"
    /// `5xx`: Binance server errors within the window (every attempt counts).
    public static let binanceUnavailable = "binance_unavailable"
    /// Per instance (`service/instance`): 1 while its latest unclean exit (killed, crashed),
    /// found when it started again, lies within the window, and at least twice the monitor's
    /// lease, so a monitor taking over after its own gateway was killed still sees it.
    public static let crashed = "crashed"
    /// Per store (database, redis): 1 while the monitor cannot reach it.
    public static let storeUnreachable = "store_unreachable"
}

/// The monitor's settings: `metrics.interval_seconds` and the `alerts.*` keys.
public struct MonitorSettings: Sendable {
    public var interval: Duration
    /// Points kept in `metrics:history`.
    public var historyLength = 1000
    public var leaseTTL: Duration
    public var windowMillis: Int64
    public var rules: [AlertRule]
    /// How long the monitor waits for PostgreSQL and Redis to answer its probe before it
    /// counts them unreachable: the interval, at most 2 s.
    public var probeTimeout: Duration
    /// Raise/resolve changes waiting while PostgreSQL is unreachable; past it the oldest are
    /// dropped (counted), and the monitor rebuilds from `alerts` once it is back.
    public var pendingCapacity = 10_000
    /// How long an unclean exit stays alerted (`crashed`): the window, at least twice the lease.
    public var crashMillis: Int64 {
        max(windowMillis, 2 * (leaseTTL.components.seconds * 1000 + leaseTTL.components.attoseconds / 1_000_000_000_000_000))
    }

    /// - Throws: `ConfigError` naming a rule's clear threshold when it is not below its raise threshold.
    public init(config: AlphaPulseConfig) throws {
        let resolved = config.resolved
        func millis(_ key: String) -> Int64 { Int64(resolved.double(key) * 1000) }
        func rule(_ name: String, _ severity: AlertSeverity, raise: Double? = nil, clear: Double? = nil, hasFor: Bool = true) throws -> AlertRule {
            let raise = raise ?? resolved.double("alerts.\(name)_raise")
            let clear = clear ?? resolved.double("alerts.\(name)_clear")
            guard clear < raise else {
                throw ConfigError(key: "alerts.\(name)_clear", message: "must lie below alerts.\(name)_raise (\(raise)): the gap is the rule's hysteresis")
            }
            return AlertRule(name: name, severity: severity, raise: raise, clear: clear, forMillis: hasFor ? millis("alerts.\(name)_for_seconds") : 0)
        }
        interval = .milliseconds(millis("metrics.interval_seconds"))
        probeTimeout = .milliseconds(min(2_000, millis("metrics.interval_seconds")))
        leaseTTL = .milliseconds(max(10_000, 3 * millis("metrics.interval_seconds")))
        windowMillis = millis("alerts.window_seconds")
        rules = [
            try rule(AlertRuleName.staleData, .warning, raise: resolved.double("alerts.stale_data_raise_seconds"),
                     clear: resolved.double("alerts.stale_data_clear_seconds")),
            try rule(AlertRuleName.connectionDown, .warning, raise: 1, clear: 0),
            try rule(AlertRuleName.persisterLag, .warning),
            try rule(AlertRuleName.jobLag, .warning),
            try rule(AlertRuleName.deadLetters, .warning, clear: 0, hasFor: false),
            try rule(AlertRuleName.heartbeatMissing, .critical, raise: 1, clear: 0),
            try rule(AlertRuleName.errorRate, .warning),
            try rule(AlertRuleName.binanceLimited, .warning, clear: 0, hasFor: false),
            try rule(AlertRuleName.binanceUnavailable, .warning, clear: 0, hasFor: false),
            try rule(AlertRuleName.crashed, .warning, raise: 1, clear: 0, hasFor: false),
            try rule(AlertRuleName.storeUnreachable, .critical, raise: 1, clear: 0),
        ]
    }
}

/// Turns what one monitor round read into the rules' observations. Pure, but with memory:
/// when the exchange's clock last moved, counters' previous values (for increases over the
/// window). A monitor taking over starts a new one, so its first windows are shorter.
struct AlertInputs: Sendable {
    /// What one round read; nil where it could not be read.
    struct Reading: Sendable {
        var now: Int64
        var databaseUp: Bool
        var redisUp: Bool
        var snapshot: SuiteMetrics.Snapshot?
        /// Dead-letter stream name → entries added within the window.
        var deadLetters: [String: Int]?
    }

    var windowMillis: Int64
    private var exchangeTime: Int64?
    private var exchangeMovedAt: Int64?
    private var unseenSince: [String: Int64] = [:]
    private var rateLimited: CounterWindow
    private var banned: CounterWindow
    private var serverErrors: CounterWindow
    /// How long an unclean exit stays alerted.
    var crashMillis: Int64
    private var analysed: CounterWindow
    private var failed: CounterWindow

    /// Fewer jobs than this in the window give no error rate (one failure in two jobs is not 50 %).
    static let errorRateMinimumJobs = 20.0

    init(windowMillis: Int64, crashMillis: Int64? = nil) {
        self.windowMillis = windowMillis
        rateLimited = CounterWindow(windowMillis: windowMillis)
        banned = CounterWindow(windowMillis: windowMillis)
        serverErrors = CounterWindow(windowMillis: windowMillis)
        self.crashMillis = crashMillis ?? windowMillis
        analysed = CounterWindow(windowMillis: windowMillis)
        failed = CounterWindow(windowMillis: windowMillis)
    }

    mutating func observe(_ reading: Reading) -> (observations: [AlertObservation], measured: Set<String>) {
        let now = reading.now
        var observations: [AlertObservation] = []
        var measured: Set<String> = [AlertRuleName.storeUnreachable]
        for (store, up) in [("database", reading.databaseUp), ("redis", reading.redisUp)] {
            observations.append(AlertObservation(
                rule: AlertRuleName.storeUnreachable, subject: store, value: up ? 0 : 1,
                message: up ? "\(store) reachable" : "the monitor cannot reach \(store == "database" ? "PostgreSQL" : "Redis")"))
        }
        if let letters = reading.deadLetters {
            measured.insert(AlertRuleName.deadLetters)
            for (stream, count) in letters {
                observations.append(AlertObservation(
                    rule: AlertRuleName.deadLetters, subject: stream, value: Double(count),
                    message: "\(count) entries dead-lettered on \(stream) in the last \(windowMillis / 1000) s"))
            }
        }
        guard let snapshot = reading.snapshot else { return (observations, measured) }
        let sample = snapshot.sample
        measured.formUnion([AlertRuleName.staleData, AlertRuleName.connectionDown, AlertRuleName.jobLag, AlertRuleName.heartbeatMissing,
                            AlertRuleName.errorRate, AlertRuleName.binanceLimited, AlertRuleName.binanceUnavailable,
                            AlertRuleName.crashed])

        // Stale data: behind the newest symbol, or everything still since the clock last moved.
        if snapshot.exchangeTime != exchangeTime || exchangeMovedAt == nil {
            exchangeTime = snapshot.exchangeTime
            exchangeMovedAt = now
        }
        let stalled = max(0, now - (exchangeMovedAt ?? now))
        var tracked = Set<String>()
        for symbol in snapshot.freshness {
            let subject = "\(symbol.market):\(symbol.symbol)"
            tracked.insert(subject)
            let seconds: Double
            let message: String
            if let behind = symbol.behindMs {
                unseenSince[subject] = nil
                seconds = Double(max(behind, stalled)) / 1000
                message = behind >= stalled
                    ? "\(symbol.market) \(symbol.symbol): no kline for \(Int(seconds)) s of exchange time"
                    : "\(symbol.market) \(symbol.symbol): no kline from any symbol for \(Int(seconds)) s"
            } else {
                let since = unseenSince[subject] ?? now
                unseenSince[subject] = since
                seconds = Double(now - since) / 1000
                message = "\(symbol.market) \(symbol.symbol): tracked \(Int(seconds)) s without a kline"
            }
            observations.append(AlertObservation(rule: AlertRuleName.staleData, subject: subject, value: seconds, message: message))
        }
        unseenSince = unseenSince.filter { tracked.contains($0.key) }

        for instance in snapshot.ingest {
            for connection in instance.connections {
                let down = connection.connectedSince == nil
                observations.append(AlertObservation(
                    rule: AlertRuleName.connectionDown, subject: "\(instance.instance)/\(connection.id)", value: down ? 1 : 0,
                    message: down
                        ? "ingest \(instance.instance) connection \(connection.id) (\(connection.market), \(connection.streams) streams) is down"
                            + (connection.lastError.map { ": \($0)" } ?? "")
                        : "connected"))
            }
        }
        // Every ingest instance reads the same group's lag; without one, nobody reports it.
        if !snapshot.ingest.isEmpty {
            measured.insert(AlertRuleName.persisterLag)
            let lag = sample.ingest.persisterLag
            observations.append(AlertObservation(
                rule: AlertRuleName.persisterLag, subject: "candles", value: Double(lag), message: "\(lag) candles entries not yet stored"))
        }
        let jobLag = (sample.jobs.routine.lag ?? 0) + sample.jobs.routine.pending
        observations.append(AlertObservation(
            rule: AlertRuleName.jobLag, subject: "jobs", value: Double(jobLag), message: "\(jobLag) routine jobs not yet analysed"))
        for service in sample.services where service.expected {
            let missing = service.instances == 0
            observations.append(AlertObservation(
                rule: AlertRuleName.heartbeatMissing, subject: service.service, value: missing ? 1 : 0,
                message: missing ? "no live heartbeat from \(service.service)" : "\(service.instances) live"))
        }

        var limited: [String: Double] = [:], bans: [String: Double] = [:], done: [String: Double] = [:], dead: [String: Double] = [:]
        var unavailable: [String: Double] = [:]
        for instance in snapshot.instances {
            let id = instance.service + "/" + instance.instance
            limited[id] = Double(instance.fields[HeartbeatField.binance429] ?? "") ?? 0
            bans[id] = Double(instance.fields[HeartbeatField.binance418] ?? "") ?? 0
            unavailable[id] = Double(instance.fields[HeartbeatField.binance5xx] ?? "") ?? 0
            if let at = instance.fields[HeartbeatField.crashedAt].flatMap({ Int64($0) }) {
                let recent = now - at < crashMillis
                let count = instance.fields[HeartbeatField.crashes] ?? "1"
                observations.append(AlertObservation(
                    rule: AlertRuleName.crashed, subject: id, value: recent ? 1 : 0,
                    message: recent
                        ? "\(id) started again \(max(0, now - at) / 1000) s ago after an unclean exit (killed or crashed); \(count) such exits in all"
                        : "no unclean exit of \(id) lately"))
            }
            if instance.service == "inference" {
                done[id] = Double(instance.fields["analysed"] ?? "") ?? 0
                dead[id] = Double(instance.fields["dead_letters"] ?? "") ?? 0
            }
        }
        let answers429 = rateLimited.record(limited, at: now)
        let answers418 = banned.record(bans, at: now)
        let answers5xx = serverErrors.record(unavailable, at: now)
        let window = windowMillis / 1000
        observations.append(AlertObservation(
            rule: AlertRuleName.binanceLimited, subject: "429", value: answers429,
            message: "Binance answered 429 (rate limited) \(Int(answers429)) times in the last \(window) s"))
        observations.append(AlertObservation(
            rule: AlertRuleName.binanceLimited, subject: "418", value: answers418,
            message: "Binance answered 418 (IP banned) \(Int(answers418)) times in the last \(window) s", severity: .critical))
        observations.append(AlertObservation(
            rule: AlertRuleName.binanceUnavailable, subject: "5xx", value: answers5xx,
            message: "Binance answered 5xx (server error) \(Int(answers5xx)) times in the last \(window) s"))
        let succeeded = analysed.record(done, at: now)
        let failures = failed.record(dead, at: now)
        let jobs = succeeded + failures
        let rate = jobs >= Self.errorRateMinimumJobs ? failures / jobs : 0
        observations.append(AlertObservation(
            rule: AlertRuleName.errorRate, subject: "inference", value: rate,
            message: "\(Int(failures)) of \(Int(jobs)) analysis jobs failed in the last \(window) s"))
        return (observations, measured)
    }
}
