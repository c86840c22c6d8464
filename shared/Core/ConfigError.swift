/// A configuration problem found at startup. It always names the key (or file) at fault
/// and never includes a secret value.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The dotted key path (`symbols.futures`), or nil for file-level problems.
    public let key: String?
    /// Where the bad value came from: a file path, an environment variable or a flag.
    public let origin: String?
    public let message: String

    public init(key: String?, origin: String? = nil, message: String) {
        self.key = key
        self.origin = origin
        self.message = message
    }

    public var description: String {
        var text = "configuration error"
        if let key { text += " in '\(key)'" }
        if let origin { text += " (from \(origin))" }
        return text + ": " + message
    }
}
