/// Hides secrets before a value reaches a log line or an error message.
public enum Redaction {
    /// The mask written in place of a secret.
    static let mask = "***"

    /// `value` with every password it may hold replaced by `***`:
    /// - the userinfo password, `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`.
    ///   The userinfo ends at the *last* `@`, so a password holding `@ / ? #` is hidden whole
    ///   (`redis://:pa/ss@h/0` → `redis://:***@h/0`); a user part that is not a plain name is
    ///   hidden too;
    /// - `password=`, `pass=` and `pwd=` parameters, wherever they stand (`?`, `&`, `;` or
    ///   whitespace before them), up to the next `&`, `;`, whitespace or the end.
    ///
    /// Masking errs on the side of hiding: an `@` in a query value may hide the host as well.
    public static func url(_ value: String) -> String {
        let text = Array(value.unicodeScalars)
        let hidden = merged(userInfoRanges(text) + parameterRanges(text))
        guard !hidden.isEmpty else { return value }
        var result = String.UnicodeScalarView()
        var position = 0
        for range in hidden {
            result.append(contentsOf: text[position..<range.lowerBound])
            result.append(contentsOf: mask.unicodeScalars)
            position = range.upperBound
        }
        result.append(contentsOf: text[position...])
        return String(result)
    }

    /// Sorted, overlapping ranges joined.
    private static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The userinfo password (after the first `:`), or the whole userinfo when its user part
    /// is not a plain name.
    private static func userInfoRanges(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        guard let schemeEnd = find("://", in: text) else { return [] }
        let start = schemeEnd + 3
        guard let at = text[start...].lastIndex(of: "@") else { return [] }
        let userInfo = text[start..<at]
        guard let colon = userInfo.firstIndex(of: ":") else {
            return isPlainName(userInfo) ? [] : [start..<at]
        }
        guard isPlainName(text[start..<colon]) else { return [start..<at] }
        return colon + 1 < at ? [(colon + 1)..<at] : []
    }

    /// Values of password-like `key=value` parameters.
    private static func parameterRanges(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        let keys = ["password=", "pass=", "pwd="].map { Array($0.unicodeScalars) }
        var ranges: [Range<Int>] = []
        for index in text.indices {
            guard index == 0 || "?&; \t\n".unicodeScalars.contains(text[index - 1]) else { continue }
            for key in keys where matchesIgnoringCase(key, in: text, at: index) {
                let valueStart = index + key.count
                let valueEnd = text[valueStart...].firstIndex(where: { "&; \t\n".unicodeScalars.contains($0) }) ?? text.endIndex
                if valueStart < valueEnd { ranges.append(valueStart..<valueEnd) }
            }
        }
        return ranges
    }

    private static func isPlainName(_ name: ArraySlice<Unicode.Scalar>) -> Bool {
        !name.contains(where: { "/?#&=;@: \t\n".unicodeScalars.contains($0) })
    }

    private static func find(_ needle: String, in text: [Unicode.Scalar]) -> Int? {
        let pattern = Array(needle.unicodeScalars)
        guard text.count >= pattern.count else { return nil }
        return (0...(text.count - pattern.count)).first { text[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    private static func matchesIgnoringCase(_ key: [Unicode.Scalar], in text: [Unicode.Scalar], at index: Int) -> Bool {
        guard index + key.count <= text.count else { return false }
        return zip(key, text[index..<(index + key.count)]).allSatisfy { expected, actual in
            expected == actual || String(actual).lowercased() == String(expected)
        }
    }

    /// The form of `value` that may be shown for `key`.
    public static func display(_ value: String, for key: ConfigKey) -> String {
        guard key.isSecret else { return value }
        if case .url = key.kind { return url(value) }
        return value.isEmpty ? "" : mask
    }
}
