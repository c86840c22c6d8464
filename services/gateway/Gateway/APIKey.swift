import Crypto
import Foundation

/// An API key of the gateway: `apk_<prefix>_<secret>`, where the prefix (8 random bytes, 16
/// lowercase hex digits) finds the key's row and the secret (32 random bytes, 64 hex digits)
/// proves it. Only the SHA-256 of the whole key is stored; the key itself is shown once, when
/// it is created.
public struct APIKey: Sendable, Equatable, CustomStringConvertible {
    public let prefix: String
    let secret: String

    static let prefixBytes = 8
    static let secretBytes = 32

    /// A new key from the system's cryptographic random source (getrandom on Linux).
    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        func hex(_ count: Int) -> String {
            (0..<count).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        }
        return APIKey(prefix: hex(prefixBytes), secret: hex(secretBytes))
    }

    private init(prefix: String, secret: String) {
        self.prefix = prefix
        self.secret = secret
    }

    /// Parses a presented key; nil unless it has exactly the shape `generate()` gives.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "apk",
              parts[1].utf8.count == Self.prefixBytes * 2, parts[2].utf8.count == Self.secretBytes * 2,
              (Array(parts[1].utf8) + Array(parts[2].utf8)).allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        self.init(prefix: String(parts[1]), secret: String(parts[2]))
    }

    /// How every key's text starts.
    public static let textPrefix = "apk_"

    /// The whole key, as the client sends it. Shown once, never logged.
    public var text: String { "apk_\(prefix)_\(secret)" }

    /// SHA-256 of the whole key, lowercase hex: what the database stores.
    public var hash: String { Self.sha256(text) }

    /// Only the public prefix: keys never reach a log through `\(key)`.
    public var description: String { "apk_\(prefix)_…" }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether this key's hash equals `storedHash`, comparing every byte whatever the
    /// first difference (no timing signal for how much of a guess was right).
    public func matches(storedHash: String) -> Bool {
        let mine = Array(hash.utf8), theirs = Array(storedHash.utf8)
        guard mine.count == theirs.count else { return false }
        var difference: UInt8 = 0
        for index in mine.indices { difference |= mine[index] ^ theirs[index] }
        return difference == 0
    }
}

/// What a key may do: `read` the API, or as `admin` also acknowledge alerts and trigger a
/// symbol refresh.
public enum APIScope: String, Sendable, CaseIterable, Comparable {
    case read, admin

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool { lhs == .read && rhs == .admin }
}
