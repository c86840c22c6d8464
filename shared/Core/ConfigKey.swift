/// One configuration key: its dotted path, type, default and documentation.
///
/// Every key can be set in the YAML file (nested by the dots), by the environment variable
/// `ALPHAPULSE_` + the path in upper case with dots as underscores, and by a flag
/// (`--set path=value`), in that order of priority. A secret key may instead be read from the
/// file named by that variable + `_FILE`.
public struct ConfigKey: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case string
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case boolean
        /// A URL whose scheme must be one of these.
        case url(schemes: [String])
        case choice([String])
        /// A comma-separated list (a YAML sequence in the file).
        case list
        /// A UTC time of day, `HH:MM`.
        case timeOfDay
    }

    public let path: String
    public let kind: Kind
    public let defaultValue: String
    /// Secret values (or the password inside a URL) never appear in logs or dumps.
    public let isSecret: Bool
    public let summary: String

    public init(_ path: String, _ kind: Kind, default defaultValue: String, secret: Bool = false, _ summary: String) {
        self.path = path
        self.kind = kind
        self.defaultValue = defaultValue
        self.isSecret = secret
        self.summary = summary
    }

    /// Appended to `environmentName` for the variable naming a file that holds a secret
    /// key's value: `ALPHAPULSE_DATABASE_URL_FILE`.
    public static let fileSuffix = "_FILE"

    /// `symbols.futures` → `ALPHAPULSE_SYMBOLS_FUTURES`.
    public var environmentName: String {
        "ALPHAPULSE_" + path.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Checks `raw` against the key's kind and returns it normalised, or throws naming the key.
    public func validate(_ raw: String, origin: String) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespaces)
        func fail(_ message: String) -> ConfigError {
            ConfigError(key: path, origin: origin, message: message)
        }
        // What an error message may echo: any URL without its passwords, another secret not
        // at all.
        let shown: String
        if case .url = kind {
            shown = Redaction.url(value)
        } else {
            shown = Redaction.display(value, for: self)
        }
        switch kind {
        case .string:
            return value
        case .integer(let range):
            guard let number = Int(value) else { throw fail("expected a whole number, got '\(shown)'") }
            guard range.contains(number) else { throw fail("\(number) is outside \(range.lowerBound)...\(range.upperBound)") }
            return String(number)
        case .number(let range):
            guard let number = Double(value), number.isFinite else { throw fail("expected a number, got '\(shown)'") }
            guard range.contains(number) else { throw fail("\(number) is outside \(range.lowerBound)...\(range.upperBound)") }
            return value
        case .boolean:
            switch value.lowercased() {
            case "true", "yes", "on", "1": return "true"
            case "false", "no", "off", "0": return "false"
            default: throw fail("expected true or false, got '\(shown)'")
            }
        case .url(let schemes):
            guard let scheme = value.split(separator: ":", maxSplits: 1).first.map(String.init)?.lowercased(),
                  value.contains("://"), schemes.contains(scheme)
            else {
                throw fail("expected a URL starting with \(schemes.map { $0 + "://" }.joined(separator: " or ")), got '\(shown)'")
            }
            let rest = value.dropFirst(scheme.count + 3)
            guard !rest.isEmpty, !rest.hasPrefix("/") || scheme == "unix" else { throw fail("URL has no host: '\(shown)'") }
            return value
        case .choice(let choices):
            guard choices.contains(value.lowercased()) else {
                throw fail("expected one of \(choices.joined(separator: ", ")), got '\(shown)'")
            }
            return value.lowercased()
        case .list:
            return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: ",")
        case .timeOfDay:
            let parts = value.split(separator: ":")
            guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
                  (0..<24).contains(hour), (0..<60).contains(minute), parts[1].count == 2
            else { throw fail("expected a UTC time HH:MM, got '\(shown)'") }
            return value
        }
    }
}

import Foundation
