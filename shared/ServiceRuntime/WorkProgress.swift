import Synchronization

/// The last time a long-running work loop completed a pass, for the liveness check: a loop
/// that stops beating for longer than its limit makes `/healthz` fail, so a supervisor
/// restarts a process whose loop hangs. A loop that keeps retrying against an unreachable
/// server still beats: restarting would not help it.
public final class WorkProgress: Sendable {
    public let name: String
    private let last: Mutex<ContinuousClock.Instant>

    public init(name: String, now: ContinuousClock.Instant = .now) {
        self.name = name
        self.last = Mutex(now)
    }

    /// Records a completed pass.
    public func beat(at now: ContinuousClock.Instant = .now) {
        last.withLock { $0 = now }
    }

    /// How long since the last pass.
    public func age(at now: ContinuousClock.Instant = .now) -> Duration {
        now - last.withLock { $0 }
    }

    /// Whether the loop has made no progress for longer than `limit`.
    public func isStalled(limit: Duration, at now: ContinuousClock.Instant = .now) -> Bool {
        age(at: now) > limit
    }
}
