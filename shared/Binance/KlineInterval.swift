import Core

/// A Binance kline interval, spelled as Binance spells it (`1m`, `1M` is a calendar month).
public enum KlineInterval: String, Sendable, Hashable, CaseIterable {
    case oneSecond = "1s"
    case oneMinute = "1m"
    case threeMinutes = "3m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case thirtyMinutes = "30m"
    case oneHour = "1h"
    case twoHours = "2h"
    case fourHours = "4h"
    case sixHours = "6h"
    case eightHours = "8h"
    case twelveHours = "12h"
    case oneDay = "1d"
    case threeDays = "3d"
    case oneWeek = "1w"
    case oneMonth = "1M"

    /// The fixed length in milliseconds; nil for `1M`, whose length depends on the month.
    public var milliseconds: Int64? {
        switch self {
        case .oneSecond: 1_000
        case .oneMinute: 60_000
        case .threeMinutes: 180_000
        case .fiveMinutes: 300_000
        case .fifteenMinutes: 900_000
        case .thirtyMinutes: 1_800_000
        case .oneHour: 3_600_000
        case .twoHours: 7_200_000
        case .fourHours: 14_400_000
        case .sixHours: 21_600_000
        case .eightHours: 28_800_000
        case .twelveHours: 43_200_000
        case .oneDay: 86_400_000
        case .threeDays: 259_200_000
        case .oneWeek: 604_800_000
        case .oneMonth: nil
        }
    }

    /// The Core interval of the same length, nil for intervals AlphaPulse does not store.
    public var candleInterval: CandleInterval? { CandleInterval(rawValue: rawValue) }

    public init(_ interval: CandleInterval) {
        // Every CandleInterval is spelled as Binance spells it.
        self = KlineInterval(rawValue: interval.rawValue)!
    }

    /// The close time Binance reports for a kline opening at `openTime` (Unix ms, UTC): the
    /// next interval's open time minus 1 ms. For `1M`, the first millisecond of the next
    /// calendar month (UTC) minus 1.
    public func closeTime(openTime: Int64) -> Int64 {
        if let length = milliseconds { return openTime + length - 1 }
        let (year, month, _) = Self.civil(fromDays: Self.floorDiv(openTime, 86_400_000))
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        return Self.days(year: next.0, month: next.1, day: 1) * 86_400_000 - 1
    }

    /// Whether Binance could open a kline of this interval at `openTime`: on a whole second
    /// for `1s`, a whole minute otherwise (any time-zone offset keeps that), the first
    /// midnight of a month (UTC) for `1M`.
    public func isAligned(openTime: Int64) -> Bool {
        switch self {
        case .oneSecond:
            return openTime % 1_000 == 0
        case .oneMonth:
            guard openTime % 86_400_000 == 0 else { return false }
            return Self.civil(fromDays: openTime / 86_400_000).day == 1
        default:
            return openTime % 60_000 == 0
        }
    }

    /// Matches interval text without building a String.
    @inline(__always)
    static func match(_ start: UnsafePointer<UInt8>, _ count: Int) -> KlineInterval? {
        if count == 2 {
            let number = start[0]
            switch start[1] {
            case UInt8(ascii: "s"): return number == UInt8(ascii: "1") ? .oneSecond : nil
            case UInt8(ascii: "m"):
                switch number {
                case UInt8(ascii: "1"): return .oneMinute
                case UInt8(ascii: "3"): return .threeMinutes
                case UInt8(ascii: "5"): return .fiveMinutes
                default: return nil
                }
            case UInt8(ascii: "h"):
                switch number {
                case UInt8(ascii: "1"): return .oneHour
                case UInt8(ascii: "2"): return .twoHours
                case UInt8(ascii: "4"): return .fourHours
                case UInt8(ascii: "6"): return .sixHours
                case UInt8(ascii: "8"): return .eightHours
                default: return nil
                }
            case UInt8(ascii: "d"):
                switch number {
                case UInt8(ascii: "1"): return .oneDay
                case UInt8(ascii: "3"): return .threeDays
                default: return nil
                }
            case UInt8(ascii: "w"): return number == UInt8(ascii: "1") ? .oneWeek : nil
            case UInt8(ascii: "M"): return number == UInt8(ascii: "1") ? .oneMonth : nil
            default: return nil
            }
        }
        if count == 3 {
            switch (start[0], start[1], start[2]) {
            case (UInt8(ascii: "1"), UInt8(ascii: "5"), UInt8(ascii: "m")): return .fifteenMinutes
            case (UInt8(ascii: "3"), UInt8(ascii: "0"), UInt8(ascii: "m")): return .thirtyMinutes
            case (UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "h")): return .twelveHours
            default: return nil
            }
        }
        return nil
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    // Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian, UTC).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
