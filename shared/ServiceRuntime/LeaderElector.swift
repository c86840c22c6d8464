import Logging
import Metrics
import Redis
import Synchronization

/// Milliseconds of the monotonic clock since the process started using it: the clock leases
/// and schedules are judged on locally (never the wall clock, which can jump).
public enum MonotonicMillis {
    private static let origin = ContinuousClock.now

    public static func now() -> Int64 {
        let elapsed = ContinuousClock.now - origin
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}

/// The I/O shell around `LeaseState`: keeps trying to lead through the lease at `key`, and
/// answers who leads now. One per process and lease.
public final class LeaderElector: Sendable {
    public let key: String
    public let instance: String
    private let redis: RedisClient
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let state: Mutex<LeaseState>
    private let gauge: Gauge

    /// - Parameters:
    ///   - name: names the gauge `alphapulse_{name}_leader` (1 while leading).
    public init(
        redis: RedisClient, key: String, instance: String, ttl: Duration, name: String, logger: Logger,
        now: @escaping @Sendable () -> Int64 = MonotonicMillis.now
    ) {
        self.redis = redis
        self.key = key
        self.instance = instance
        self.logger = logger
        self.now = now
        let milliseconds = ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
        self.state = Mutex(LeaseState(ttl: max(1, milliseconds)))
        self.gauge = Gauge(label: "alphapulse.\(name).leader")
    }

    /// The lease token and epoch while this process leads; nil otherwise.
    public var leadership: (token: String, epoch: Int)? {
        let now = now()
        return state.withLock { state in state.isLeading(at: now) ? state.token.map { ($0, state.epoch) } : nil }
    }

    /// A fenced write was refused: the lease is not ours any more.
    public func lost() {
        state.withLock { $0.lost() }
        gauge.record(0)
        logger.warning("lost the lead: a fenced write was refused", metadata: ["lease.key": "\(key)"])
    }

    /// Acquires and renews until cancelled, then releases the lease if held.
    public func run() async throws {
        defer { gauge.record(0) }
        do {
            while true {
                try await step()
            }
        } catch is CancellationError {
            if let token = state.withLock({ $0.token }) {
                // In a task of its own: this one is cancelled, and the release must still be sent
                // so a standby takes over at once rather than after the TTL.
                let redis = self.redis, key = self.key
                let released = await Task { (try? await redis.releaseLease(RedisLease(key: key, token: token, ttl: .seconds(1)))) ?? false }.value
                logger.info(released ? "released the lead" : "could not release the lead; it lapses after its TTL", metadata: ["lease.key": "\(key)"])
            }
            throw CancellationError()
        }
    }

    /// One step: sends what the state machine asks for, or sleeps until it asks.
    func step() async throws {
        let sent = now()
        let step = state.withLock { $0.next(at: sent) }
        let wasLeading = state.withLock { $0.isLeading(at: sent) }
        switch step {
        case .wait(let until):
            // Wake at the lead's end too, so `leadership` and the gauge turn promptly.
            try await Task.sleep(for: .milliseconds(max(1, until - sent)))
            if wasLeading, !state.withLock({ $0.isLeading(at: self.now()) }) {
                gauge.record(0)
                logger.warning("lead lapsed: the lease could not be renewed in time", metadata: ["lease.key": "\(key)"])
            }
            return
        case .acquire:
            let token = instance + "-" + RedisClient.randomToken()
            do {
                let lease = try await redis.acquireLease(key, ttl: .milliseconds(state.withLock { $0.ttl }), token: token)
                state.withLock { $0.acquired(lease?.token, sentAt: sent) }
                if lease != nil {
                    gauge.record(1)
                    logger.info("took the lead", metadata: ["lease.key": "\(key)"])
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                state.withLock { $0.failed(sentAt: sent) }
                logger.warning("lease not acquired", metadata: ["lease.key": "\(key)", "error": "\(error)"])
            }
        case .renew(let token):
            do {
                let ttl = state.withLock { $0.ttl }
                let extended = try await redis.renewLease(RedisLease(key: key, token: token, ttl: .milliseconds(ttl)))
                state.withLock { $0.renewed(extended, sentAt: sent) }
                if !extended {
                    gauge.record(0)
                    logger.warning("lost the lead: the lease was taken or expired", metadata: ["lease.key": "\(key)"])
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Not a renewal (L6): the lead ends at its old validity unless a retry succeeds.
                state.withLock { $0.failed(sentAt: sent) }
                logger.warning("lease not renewed", metadata: ["lease.key": "\(key)", "error": "\(error)"])
            }
        }
    }
}
