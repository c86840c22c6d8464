/// Hides secrets before a value reaches a log line or an error message.
public enum Redaction {
    /// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`.
    public static func url(_ value: String) -> String {
        guard let schemeEnd = value.range(of: "://") else { return value }
        let afterScheme = value[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return value }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return value }
        var redacted = String(value[..<schemeEnd.upperBound])
        redacted += userInfo[..<colon] + ":***"
        redacted += value[at...]
        return redactQuery(redacted)
    }

    /// Hides `password=` style query parameters.
    static func redactQuery(_ value: String) -> String {
        guard let question = value.firstIndex(of: "?") else { return value }
        let query = value[value.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            let lower = item.lowercased()
            if lower.hasPrefix("password=") || lower.hasPrefix("pass=") {
                return item.split(separator: "=", maxSplits: 1)[0] + "=***"
            }
            return String(item)
        }
        return String(value[...question]) + query.joined(separator: "&")
    }

    /// The form of `value` that may be shown for `key`.
    public static func display(_ value: String, for key: ConfigKey) -> String {
        guard key.isSecret else { return value }
        if case .url = key.kind { return url(value) }
        return value.isEmpty ? "" : "***"
    }
}
