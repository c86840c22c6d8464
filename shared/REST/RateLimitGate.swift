import Foundation

/// Client-wide rate-limit state, as a pure state machine: the caller passes `now` and acts on
/// the returned decision, so the rules are testable without a clock or sleeping.
///
/// Binance answers 429 when a client goes over its weight limit and 418 (an IP ban from
/// 2 minutes to 3 days, escalating) when it keeps sending after 429s. So after a 429 nothing
/// at all is sent until `Retry-After` has passed, and after a 418 nothing is sent until the
/// ban ends.
struct RateLimitGate<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    enum Decision: Equatable {
        /// Nothing in the way: send.
        case proceed
        /// A 429 cool-down runs until then: wait, then ask again.
        case coolDown(until: Instant)
        /// A 418 ban runs until then: fail without sending.
        case banned(until: Instant)
    }

    private(set) var coolDownUntil: Instant?
    private(set) var bannedUntil: Instant?

    init() {}

    /// Whether a request may be sent at `now`.
    func decision(at now: Instant) -> Decision {
        if let bannedUntil, now < bannedUntil { return .banned(until: bannedUntil) }
        if let coolDownUntil, now < coolDownUntil { return .coolDown(until: coolDownUntil) }
        return .proceed
    }

    /// Records a 429; returns the end of the cool-down. A cool-down already running longer
    /// is never shortened (responses to concurrent requests can arrive out of order).
    @discardableResult
    mutating func recordRateLimited(retryAfter: Duration, at now: Instant) -> Instant {
        let until = now.advanced(by: max(retryAfter, .zero))
        if let coolDownUntil, coolDownUntil >= until { return coolDownUntil }
        coolDownUntil = until
        return until
    }

    /// Records a 418; returns the end of the ban, never shortening a longer one.
    @discardableResult
    mutating func recordBanned(for duration: Duration, at now: Instant) -> Instant {
        let until = now.advanced(by: max(duration, .zero))
        if let bannedUntil, bannedUntil >= until { return bannedUntil }
        bannedUntil = until
        return until
    }
}

/// Parses `Retry-After`: delay-seconds (Binance's form, fractions tolerated); nil for anything
/// else, including negative values, so the caller falls back to its default.
func parseRetryAfter(_ value: String?) -> Duration? {
    guard let value else { return nil }
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    // Binance's longest ban is 3 days; a larger value is a broken header, not a reason to stop
    // talking to the exchange until the process restarts.
    let longest: Double = 3 * 86_400
    if let seconds = Int64(trimmed), seconds >= 0 { return .seconds(min(Double(seconds), longest)) }
    if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 { return .seconds(min(seconds, longest)) }
    return nil
}

/// Backoff before retry `retry` (1-based) with "full jitter": uniform in
/// `0 ... min(cap, base * 2^(retry-1))`, so clients that failed together do not retry together.
func backoffDelay(
    retry: Int, base: Duration, cap: Duration, random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
) -> Duration {
    let exponent = min(max(retry - 1, 0), 62)
    let ceiling = min(cap.seconds, base.seconds * Double(1 << exponent))
    guard ceiling > 0 else { return .zero }
    return .seconds(random(0...ceiling))
}
