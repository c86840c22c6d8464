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

    public static func < (lhs: CandleInterval, rhs: CandleInterval) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }
}
