import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Formats and parses timestamps in the ISO style every connection is set to (`DateStyle=ISO`,
/// `TimeZone=UTC`), with microsecond precision — without DateFormatter, which is slow.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int(floor(micros / 1_000_000))
        var fraction = Int(micros) - seconds * 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = String(parts.tm_year + 1900)
        text.reserveCapacity(32)
        func pad(_ value: Int32) { if value < 10 { text += "0" }; text += String(value) }
        text += "-"; pad(parts.tm_mon + 1); text += "-"; pad(parts.tm_mday)
        text += " "; pad(parts.tm_hour); text += ":"; pad(parts.tm_min); text += ":"; pad(parts.tm_sec)
        if fraction > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: 6 - digits.count) + digits
        }
        return text + "+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]` (timestamptz) or without an offset
    /// (timestamp, taken as UTC). Returns nil for anything else, such as `infinity`.
    static func parse(_ text: Substring) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for _ in 0..<count {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              expect(32) || expect(84), let hour = number(2), expect(58), let minute = number(2), expect(58),
              let second = number(2)
        else { return nil }
        var micros = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offset = 0
        if index < bytes.count {
            let sign: Int
            if bytes[index] == 43 { sign = 1 } else if bytes[index] == 45 { sign = -1 } else { return nil }
            index += 1
            guard let offsetHours = number(2) else { return nil }
            var offsetSeconds = offsetHours * 3600
            if expect(58) {
                guard let offsetMinutes = number(2) else { return nil }
                offsetSeconds += offsetMinutes * 60
                if expect(58) {
                    guard let extra = number(2) else { return nil }
                    offsetSeconds += extra
                }
            }
            offset = sign * offsetSeconds
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = Int(timegm(&parts)) - offset
        return Date(timeIntervalSince1970: Double(epoch) + Double(micros) / 1_000_000)
    }
}
