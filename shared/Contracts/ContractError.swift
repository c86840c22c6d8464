/// Why a value read from Redis was refused. `reason` is a short stable slug for metrics and
/// dead-letter entries; `detail` says which field and what was wrong.
public struct ContractError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case missingField = "missing_field"
            case badField = "bad_field"
            case unsupportedVersion = "unsupported_version"
            case malformed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A required field is absent.
        public static let missingField = Reason(.missingField)
        /// A field is present but not a valid value of its type (or breaks a rule between fields).
        public static let badField = Reason(.badField)
        /// The entry's schema version is neither the current nor the previous one.
        public static let unsupportedVersion = Reason(.unsupportedVersion)
        /// The value is not the documented JSON (or not JSON at all).
        public static let malformed = Reason(.malformed)

        public var description: String { base.rawValue }
    }

    public var reason: Reason
    public var detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason): \(detail)" }
}

/// The schema version every entry carries (`_v`), and what readers accept.
public enum SchemaVersion {
    /// What writers write.
    public static let current = 2
    /// What readers still accept, so hosts can be upgraded one at a time. Version 1 is the
    /// format before versions were written: an entry with no `_v` field is version 1.
    public static let previous = 1
    /// The field that holds the version in every stream entry and hash (`v` is taken by
    /// volumes), and the key in every JSON document.
    public static let field = "_v"

    /// Checks a `v` field's text (nil when absent).
    public static func check(_ text: String?) throws(ContractError) -> Int {
        guard let text else { return previous }
        guard let version = Int(text), version == current || version == previous else {
            throw ContractError(.unsupportedVersion, "schema version \(text.prefix(16)) (this build reads \(previous) and \(current))")
        }
        return version
    }
}
