/// At most `limit` events in any `window` milliseconds: the per-connection message pacer and
/// the per-IP connection-attempt limiter.
///
/// A sliding log of the last `limit` event times rather than a token bucket: a bucket lets a
/// full burst follow a full second of sends, which can exceed a per-second limit across a
/// window boundary; the log never can. Time is passed in (Unix or monotonic ms, consistently),
/// never read from a clock.
public struct SlidingWindowLimiter: Sendable, Hashable {
    public let limit: Int
    /// Milliseconds.
    public let window: Int64
    /// Ring buffer of the last `limit` event times; `next` is the oldest once full.
    private var times: [Int64]
    private var next = 0

    public init(limit: Int, window: Int64) {
        precondition(limit > 0 && window > 0)
        self.limit = limit
        self.window = window
        times = []
        times.reserveCapacity(limit)
    }

    /// Paces a connection's messages with the limits' headroom (`pacedMessagesPerSecond` per 1 s).
    public static func messagePacer(_ limits: ConnectionLimits) -> SlidingWindowLimiter {
        SlidingWindowLimiter(limit: limits.pacedMessagesPerSecond, window: 1_000)
    }

    /// Limits connection attempts (`pacedConnectionAttempts` per `connectionAttemptWindow`).
    public static func connectionAttempts(_ limits: ConnectionLimits) -> SlidingWindowLimiter {
        SlidingWindowLimiter(limit: limits.pacedConnectionAttempts, window: limits.connectionAttemptWindow)
    }

    /// The earliest time, not before `now`, at which one more event stays within the limit.
    public func nextAllowedTime(at now: Int64) -> Int64 {
        guard times.count == limit else { return now }
        return max(now, times[next] + window)
    }

    /// Whether an event may happen at `now`.
    public func isAllowed(at now: Int64) -> Bool { nextAllowedTime(at: now) <= now }

    /// Records an event at `time`, allowed or not: a PONG must go out even when the pacer
    /// would rather wait, and the messages after it must account for it.
    public mutating func record(at time: Int64) {
        if times.count < limit {
            times.append(time)
        } else {
            times[next] = time
            next = (next + 1) % limit
        }
    }

    /// Records an event at `now` if allowed; returns whether it was.
    public mutating func tryAcquire(at now: Int64) -> Bool {
        guard isAllowed(at: now) else { return false }
        record(at: now)
        return true
    }
}
