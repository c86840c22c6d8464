import ArgumentParser
import Core
import Foundation

// Commands take `--market futures|spot` and `--interval 1m|5m|…`.
extension Market: ExpressibleByArgument {}
extension CandleInterval: ExpressibleByArgument {}

/// Instants given on the command line.
public enum ISOInstant {
    /// Parses an ISO 8601 instant (`2026-02-10T12:00:00Z`, or a date alone for its midnight
    /// UTC) into Unix milliseconds.
    /// - Throws: `ValidationError` naming `option`, which ArgumentParser prints with the usage.
    public static func millis(_ text: String, option: String) throws -> Int64 {
        if let date = try? Date(text, strategy: .iso8601) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        if let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        throw ValidationError("\(option) '\(text)' is not an ISO 8601 time such as 2026-02-10T12:00:00Z")
    }
}
