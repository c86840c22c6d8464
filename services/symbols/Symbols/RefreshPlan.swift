import Foundation

/// When the serving leader refreshes: at start when the stored list is older than the
/// refresh interval, daily at a fixed UTC time, and after a failure again with exponential
/// backoff (doubling from `retryMin` to `retryMax`, with jitter) until one succeeds.
///
/// A pure value: time comes in as arguments, so it is tested without clocks.
public struct RefreshPlan: Sendable, Equatable {
    public let hour: Int
    public let minute: Int
    public let retryMin: Double
    public let retryMax: Double
    /// The next daily refresh.
    public private(set) var nextDaily: Date
    /// When the next retry of a failing refresh is due, if one is failing.
    public private(set) var retryAt: Date?
    /// Failures since the last success.
    public private(set) var failures = 0
    /// Whether the start-up refresh is still due.
    public private(set) var startupDue: Bool

    /// - Parameters:
    ///   - lastRefresh: when the stored list was refreshed (nil: never).
    ///   - maxAge: seconds after which a stored list is refreshed at start.
    public init(hour: Int, minute: Int, retryMin: Double, retryMax: Double, now: Date, lastRefresh: Date?, maxAge: Double) {
        self.hour = hour
        self.minute = minute
        self.retryMin = retryMin
        self.retryMax = retryMax
        self.nextDaily = Self.nextDaily(after: now, hour: hour, minute: minute)
        self.startupDue = lastRefresh.map { now.timeIntervalSince($0) >= maxAge } ?? true
    }

    /// When the next refresh is due.
    public var nextDue: Date {
        if let retryAt { return retryAt }
        return startupDue ? .distantPast : nextDaily
    }

    public func isDue(at now: Date) -> Bool { now >= nextDue }

    public mutating func succeeded(at now: Date) {
        failures = 0
        retryAt = nil
        startupDue = false
        nextDaily = Self.nextDaily(after: now, hour: hour, minute: minute)
    }

    /// Schedules the retry; `jitter` in 0..<1 spreads the wait over its upper half.
    /// - Returns: the wait in seconds.
    @discardableResult
    public mutating func failed(at now: Date, jitter: Double) -> Double {
        failures += 1
        startupDue = false
        let exponent = Double(min(failures - 1, 62))
        let ceiling = min(retryMax, retryMin * pow(2, exponent))
        let wait = ceiling * (0.5 + 0.5 * min(max(jitter, 0), 1))
        retryAt = now.addingTimeInterval(wait)
        return wait
    }

    /// The first `hour:minute` UTC strictly after `now`.
    public static func nextDaily(after now: Date, hour: Int, minute: Int) -> Date {
        let day = 86_400.0
        let seconds = now.timeIntervalSince1970
        let midnight = (seconds / day).rounded(.down) * day
        var candidate = midnight + Double(hour * 3_600 + minute * 60)
        if candidate <= seconds { candidate += day }
        return Date(timeIntervalSince1970: candidate)
    }
}
