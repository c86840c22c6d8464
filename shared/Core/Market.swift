/// A Binance market AlphaPulse tracks. The raw value is what the database and Redis keys use.
public enum Market: String, Sendable, Hashable, Codable, CaseIterable {
    case spot
    case futures
}

/// A candle interval. `1m` is ingested; the others are derived from it.
public enum CandleInterval: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"
    case fourHours = "4h"
    case oneDay = "1d"

    /// The interval's length in milliseconds.
    public var milliseconds: Int64 {
        switch self {
        case .oneMinute: 60_000
        case .fiveMinutes: 300_000
        case .fifteenMinutes: 900_000
        case .oneHour: 3_600_000
        case .fourHours: 14_400_000
        case .oneDay: 86_400_000
        }
    }

    /// The open time of the candle of this interval holding `time` (Unix ms): buckets are
    /// aligned to the epoch, so 1d candles open at 00:00 UTC and 4h ones at 00, 04, … UTC. The
    /// one calendar helper of the suite: negative times floor too.
    public func bucketStart(_ time: Int64) -> Int64 {
        let remainder = time % milliseconds
        return time - (remainder < 0 ? remainder + milliseconds : remainder)
    }

    /// The close time of the candle opening at `openTime`: `openTime + length - 1`, as Binance writes it.
    public func closeTime(openTime: Int64) -> Int64 { openTime + milliseconds - 1 }

    /// Whether a candle of this interval could open at `time`.
    public func isAligned(_ time: Int64) -> Bool { bucketStart(time) == time }

    public static func < (lhs: CandleInterval, rhs: CandleInterval) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }
}
