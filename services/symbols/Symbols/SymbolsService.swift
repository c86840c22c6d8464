import Contracts
import Core
import Foundation
import Logging
import Metrics
import Redis
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// `alphapulse-symbols serve`: keeps the tracked list fresh.
///
/// Instances compete for the leader lease `{prefix}lease:symbols`; only the leader refreshes,
/// so two instances never refresh at once (and a stray `refresh` command is serialised with
/// it in the database). The leader refreshes at start when the stored list is older than
/// `symbols.refresh_interval_hours`, daily at `symbols.refresh_at` UTC, whenever the key
/// `{prefix}symbols:refresh` is set, and after a failure again with backoff, reporting the
/// service degraded until a refresh succeeds. On taking the lead it first brings the Redis
/// cache up to the stored list (after a Redis restart, say).
public struct SymbolsService: Service {
    public struct Settings: Sendable {
        public var refreshHour: Int
        public var refreshMinute: Int
        public var maxAge: Double
        public var retryMin: Double
        public var retryMax: Double
        public var leaseTTL: Duration
        /// How often the leader checks for due work and refresh requests.
        public var poll: Duration

        public init(config: AlphaPulseConfig, poll: Duration = .seconds(1)) {
            refreshHour = config.symbols.refreshAt.hour
            refreshMinute = config.symbols.refreshAt.minute
            maxAge = config.symbols.refreshIntervalHours * 3_600
            retryMin = config.symbols.retryMinSeconds
            retryMax = config.symbols.retryMaxSeconds
            leaseTTL = .milliseconds(Int64(config.symbols.leaseTTLSeconds * 1000))
            self.poll = poll
        }
    }

    let refresher: SymbolRefresher
    let redis: RedisClient
    let leaseKey: String
    let instance: String
    let settings: Settings
    let readiness: Readiness
    let status: SymbolsStatus
    let logger: Logger

    public init(
        refresher: SymbolRefresher, redis: RedisClient, prefix: String, instance: String, settings: Settings,
        readiness: Readiness, status: SymbolsStatus, logger: Logger
    ) {
        self.refresher = refresher
        self.redis = redis
        self.leaseKey = RedisKeys(prefix: prefix).lease("symbols")
        self.instance = instance
        self.settings = settings
        self.readiness = readiness
        self.status = status
        self.logger = logger
    }

    public func run() async throws {
        let elector = LeaderElector(
            redis: redis, key: leaseKey, instance: instance, ttl: settings.leaseTTL, name: "symbols", logger: logger)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Renewal errors are not renewals (L6): the lead ends at its TTL unless one succeeds.
                    group.addTask { try await elector.run() }
                    group.addTask { try await work(elector) }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            // Graceful shutdown; the elector released the lease.
        }
    }

    /// While leading: refresh when due or asked.
    private func work(_ elector: LeaderElector) async throws {
        var plan: RefreshPlan?
        var epoch = 0
        while true {
            let leadership = elector.leadership
            status.update { $0.leader = leadership != nil }
            if let held = leadership {
                if plan == nil || held.epoch != epoch {
                    epoch = held.epoch
                    plan = await takeOver()
                }
                if var current = plan {
                    let requested = await refreshRequested()
                    let now = refresher.now()
                    if requested || current.isDue(at: now) {
                        await refreshOnce(&current, requested: requested)
                    }
                    status.update { $0.nextRefresh = current.nextDue == .distantPast ? refresher.now() : current.nextDue }
                    plan = current
                }
            } else {
                plan = nil
            }
            try await Task.sleep(for: settings.poll)
        }
    }

    /// On becoming leader: plan from the stored list's age and repair the cache.
    private func takeOver() async -> RefreshPlan? {
        do {
            let state = try await refresher.store.state()
            let plan = RefreshPlan(
                hour: settings.refreshHour, minute: settings.refreshMinute, retryMin: settings.retryMin,
                retryMax: settings.retryMax, now: refresher.now(), lastRefresh: state.lastRefresh, maxAge: settings.maxAge)
            status.update { $0.version = state.version; $0.lastSuccess = $0.lastSuccess ?? state.lastRefresh }
            if state.lastRefresh != nil {
                let published = try await refresher.syncCache()
                if published > 0 { logger.info("published missed symbol changes", metadata: ["symbols.messages": "\(published)"]) }
            }
            return plan
        } catch {
            logger.warning("cannot read the stored symbol list; will retry", metadata: ["error": "\(error)"])
            readiness.setDegraded("symbols", "cannot read the stored list: \(error)")
            return nil
        }
    }

    private func refreshRequested() async -> Bool {
        do {
            return try await refresher.cache.takeRefreshRequest()
        } catch {
            logger.debug("refresh request key not read", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func refreshOnce(_ plan: inout RefreshPlan, requested: Bool) async {
        let started = refresher.now()
        status.update { $0.lastAttempt = started }
        do {
            let report = try await refresher.refresh()
            plan.succeeded(at: refresher.now())
            readiness.setDegraded("symbols", nil)
            status.update {
                $0.version = report.version
                $0.lastSuccess = self.refresher.now()
                $0.lastError = nil
                $0.failures = 0
                $0.eligible = report.eligible
                $0.tracked = report.tracked
            }
            logger.info("symbol list refreshed", metadata: [
                "symbols.requested": "\(requested)", "symbols.version": "\(report.version)",
                "symbols.added": "\(report.added.count)", "symbols.removed": "\(report.removed.count)",
                "duration": "\(report.duration)",
            ])
        } catch {
            let wait = plan.failed(at: refresher.now(), jitter: Double.random(in: 0..<1))
            let message = "\(error)"
            readiness.setDegraded("symbols", "refresh failing (\(plan.failures) in a row), last: \(message)")
            status.update {
                $0.lastError = message
                $0.failures = plan.failures
            }
            logger.warning("symbol refresh failed; the last good list stays", metadata: [
                "error": "\(message)", "retry.seconds": "\(Int(wait.rounded()))", "retry.failures": "\(plan.failures)",
            ])
        }
    }
}
