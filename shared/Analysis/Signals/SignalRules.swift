/// How a consensus becomes a tradeable ``Signal`` and how long it lives.
///
/// Defaults: stop 1.5 × ATR from the entry, targets at 2R and 3R (R = the stop distance), a
/// signal is won when target 1 is reached, expires after 240 minutes, and a symbol waits 60
/// minutes after a signal's creation before the next one (see ``SignalBook``).
///
/// Coding uses snake_case configuration names with durations in minutes: `stop_atr_multiple`,
/// `target1_r`, `target2_r`, `win_at` (`target1` / `target2`), `expiry_minutes`,
/// `cooldown_minutes`. Missing keys take their defaults; out-of-range values fail decoding.
public struct SignalRules: Sendable, Hashable, Codable {
    /// Which target settles a signal as won.
    public enum WinningTarget: String, Sendable, Hashable, Codable, CaseIterable {
        case target1
        case target2
    }

    /// Stop distance from the entry in ATRs (> 0). Default 1.5.
    public var stopATRMultiple: Double
    /// Target 1 distance from the entry in R (> 0). Default 2.
    public var target1R: Double
    /// Target 2 distance from the entry in R (> 0). Default 3.
    public var target2R: Double
    /// The target at which a signal counts as won. Default `.target1`.
    public var winAt: WinningTarget
    /// Lifetime of a signal in milliseconds (> 0). Default 240 minutes.
    public var expiryMilliseconds: Int64
    /// Minimum time between two signals' creation on one symbol, in milliseconds (>= 0).
    /// Default 60 minutes.
    public var cooldownMilliseconds: Int64

    public init(
        stopATRMultiple: Double = 1.5, target1R: Double = 2, target2R: Double = 3, winAt: WinningTarget = .target1,
        expiryMilliseconds: Int64 = 240 * 60_000, cooldownMilliseconds: Int64 = 60 * 60_000
    ) {
        precondition(stopATRMultiple.isFinite && stopATRMultiple > 0, "stopATRMultiple must be > 0")
        precondition(target1R.isFinite && target1R > 0 && target2R.isFinite && target2R > 0, "targets must be > 0 R")
        precondition(expiryMilliseconds > 0, "expiry must be positive")
        precondition(cooldownMilliseconds >= 0, "cooldown must not be negative")
        self.stopATRMultiple = stopATRMultiple
        self.target1R = target1R
        self.target2R = target2R
        self.winAt = winAt
        self.expiryMilliseconds = expiryMilliseconds
        self.cooldownMilliseconds = cooldownMilliseconds
    }

    /// The same rules with durations given in whole minutes.
    public init(
        stopATRMultiple: Double = 1.5, target1R: Double = 2, target2R: Double = 3, winAt: WinningTarget = .target1,
        expiryMinutes: Int, cooldownMinutes: Int = 60
    ) {
        self.init(
            stopATRMultiple: stopATRMultiple, target1R: target1R, target2R: target2R, winAt: winAt,
            expiryMilliseconds: Int64(expiryMinutes) * 60_000, cooldownMilliseconds: Int64(cooldownMinutes) * 60_000)
    }

    /// Lifetime of a signal in minutes.
    public var expiryMinutes: Double { Double(expiryMilliseconds) / 60_000 }
    /// Per-symbol cooldown in minutes.
    public var cooldownMinutes: Double { Double(cooldownMilliseconds) / 60_000 }

    private enum CodingKeys: String, CodingKey {
        case stopATRMultiple = "stop_atr_multiple"
        case target1R = "target1_r"
        case target2R = "target2_r"
        case winAt = "win_at"
        case expiryMinutes = "expiry_minutes"
        case cooldownMinutes = "cooldown_minutes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SignalRules()
        func positive(_ key: CodingKeys, _ fallback: Double) throws -> Double {
            let value = try container.decodeIfPresent(Double.self, forKey: key) ?? fallback
            guard value.isFinite, value > 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must be > 0")
            }
            return value
        }
        let stop = try positive(.stopATRMultiple, defaults.stopATRMultiple)
        let target1 = try positive(.target1R, defaults.target1R)
        let target2 = try positive(.target2R, defaults.target2R)
        let expiry = try positive(.expiryMinutes, defaults.expiryMinutes)
        let cooldown = try container.decodeIfPresent(Double.self, forKey: .cooldownMinutes) ?? defaults.cooldownMinutes
        guard cooldown.isFinite, cooldown >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .cooldownMinutes, in: container, debugDescription: "must be >= 0")
        }
        let expiryMs = (expiry * 60_000).rounded()
        let cooldownMs = (cooldown * 60_000).rounded()
        guard expiryMs >= 1, expiryMs < 1e15, cooldownMs < 1e15 else {
            throw DecodingError.dataCorruptedError(forKey: .expiryMinutes, in: container, debugDescription: "out of range")
        }
        self.init(
            stopATRMultiple: stop, target1R: target1, target2R: target2,
            winAt: try container.decodeIfPresent(WinningTarget.self, forKey: .winAt) ?? defaults.winAt,
            expiryMilliseconds: Int64(expiryMs), cooldownMilliseconds: Int64(cooldownMs))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stopATRMultiple, forKey: .stopATRMultiple)
        try container.encode(target1R, forKey: .target1R)
        try container.encode(target2R, forKey: .target2R)
        try container.encode(winAt, forKey: .winAt)
        try container.encode(expiryMinutes, forKey: .expiryMinutes)
        try container.encode(cooldownMinutes, forKey: .cooldownMinutes)
    }
}
