/// Leadership held through a Redis lease, as a pure state machine: the caller sends what
/// `next(at:)` asks for and reports the outcome; times are milliseconds of a monotonic clock
/// the caller injects, so tests drive it without sleeping.
///
/// The rules (the review's L6 among them):
/// - Leading lasts until `validUntil`: the send time of the last successful acquire or renewal
///   plus the TTL, less a margin for clock-rate differences between hosts. The send time, not
///   the answer's arrival, so a slow answer cannot stretch it.
/// - A renewal that fails with an error is not a renewal: `validUntil` stays where it was, and
///   leading ends there unless a later renewal succeeds first.
/// - A renewal answered "not yours" ends leading at once.
/// - Every acquisition starts a new `epoch`, so work planned under an earlier lead is not
///   carried over (a position read, a cache warmed).
///
/// Writes made while leading are still fenced in Redis by the lease value (the enqueue script
/// compares it), so even a leader that has not noticed its lease lapsing cannot write.
public struct LeaseState: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Try `SET lease token NX PX ttl` with a new token.
        case acquire
        /// Extend the lease held with this token.
        case renew(token: String)
        /// Nothing to send before this time.
        case wait(until: Int64)
    }

    public let ttl: Int64
    public let renewEvery: Int64
    public let margin: Int64
    public private(set) var token: String?
    public private(set) var validUntil: Int64 = .min
    public private(set) var epoch = 0
    private var nextAttempt: Int64 = .min

    /// - Parameters:
    ///   - ttl: the lease's TTL in milliseconds (> 0).
    ///   - renewEvery: time between renewals and between attempts to acquire; a third of the
    ///     TTL by default.
    ///   - margin: kept back from the TTL; a tenth of it by default.
    public init(ttl: Int64, renewEvery: Int64? = nil, margin: Int64? = nil) {
        precondition(ttl > 0, "a lease needs a positive TTL")
        self.ttl = ttl
        self.renewEvery = max(1, renewEvery ?? ttl / 3)
        self.margin = min(max(0, margin ?? ttl / 10), ttl - 1)
    }

    public func isLeading(at now: Int64) -> Bool { token != nil && now < validUntil }

    /// What to do at `now`.
    public func next(at now: Int64) -> Step {
        guard now >= nextAttempt else { return .wait(until: nextAttempt) }
        if let token, now < validUntil { return .renew(token: token) }
        return .acquire
    }

    /// An acquire sent at `sentAt` was answered: `token` is ours now, or nil when someone else holds the lease.
    public mutating func acquired(_ token: String?, sentAt: Int64) {
        nextAttempt = sentAt + renewEvery
        guard let token else {
            self.token = nil
            return
        }
        self.token = token
        validUntil = sentAt + ttl - margin
        epoch += 1
    }

    /// A renewal sent at `sentAt` was answered: `true` extended it, `false` means the lease is
    /// no longer ours (expired or taken), and leading ends now.
    public mutating func renewed(_ extended: Bool, sentAt: Int64) {
        nextAttempt = sentAt + renewEvery
        if extended, token != nil {
            validUntil = max(validUntil, sentAt + ttl - margin)
        } else {
            token = nil
            validUntil = .min
        }
    }

    /// An acquire or renewal sent at `sentAt` failed without an answer (Redis unreachable, a
    /// timeout). Leading continues only until the old `validUntil`; the next try comes after a
    /// short pause (a tenth of the renewal period), so a brief outage costs little.
    public mutating func failed(sentAt: Int64) {
        nextAttempt = sentAt + max(1, renewEvery / 10)
        if token != nil, sentAt >= validUntil { token = nil }
    }

    /// A fenced write found the lease gone: stop leading now.
    public mutating func lost() {
        token = nil
        validUntil = .min
    }
}
