import Foundation

/// A Swift type that can be read from a column in PostgreSQL's text output format.
public protocol PostgresDecodable: Sendable {
    /// - Parameters:
    ///   - text: the column's text form (never NULL: NULLs decode through `Optional`).
    ///   - type: the column's type OID.
    /// - Returns: nil when the text is not a valid value of this type.
    init?(postgresText text: Substring, type: UInt32)
}

extension String: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) { self = String(text) }
}

extension Int: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) { self.init(text) }
}

extension Int64: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) { self.init(text) }
}

extension Int32: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) { self.init(text) }
}

extension Double: PostgresDecodable {
    /// Reads float4/float8 and numeric columns (numeric may lose precision beyond 15–17 digits).
    public init?(postgresText text: Substring, type: UInt32) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(text)
        }
    }
}

extension Decimal: PostgresDecodable {
    /// Exact for numeric columns.
    public init?(postgresText text: Substring, type: UInt32) {
        self.init(string: String(text), locale: Locale(identifier: "en_US_POSIX"))
    }
}

extension Bool: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Date: PostgresDecodable {
    /// Reads timestamptz (and timestamp, as UTC).
    public init?(postgresText text: Substring, type: UInt32) {
        guard let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }
}

extension UUID: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) { self.init(uuidString: String(text)) }
}

/// Reads a PostgreSQL array column (`{1,2,3}`, `{"a b",NULL}`) of any decodable element.
extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init?(postgresText text: Substring, type: UInt32) {
        guard let items = PostgresArrayParser.parse(text) else { return nil }
        var result: [Element] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let item, let element = Element(postgresText: Substring(item), type: 0) else { return nil }
            result.append(element)
        }
        self = result
    }
}

/// Reads a one-dimensional array literal into its element texts (nil for NULL).
enum PostgresArrayParser {
    static func parse(_ text: Substring) -> [String?]? {
        var scalars = text.unicodeScalars[...]
        // A literal may start with dimension decoration such as "[0:1]={...}".
        if scalars.first == "[", let equals = scalars.firstIndex(of: "=") {
            scalars = scalars[scalars.index(after: equals)...]
        }
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        var items: [String?] = []
        if scalars.isEmpty { return items }
        var current = String.UnicodeScalarView()
        var quoted = false
        var wasQuoted = false
        var escaping = false
        for scalar in scalars {
            if escaping {
                current.append(scalar)
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if scalar == "," && !quoted {
                let item = String(current)
                items.append(!wasQuoted && item == "NULL" ? nil : item)
                current = String.UnicodeScalarView()
                wasQuoted = false
            } else if scalar == "{" && !quoted {
                return nil  // multi-dimensional arrays are not supported
            } else {
                current.append(scalar)
            }
        }
        guard !quoted, !escaping else { return nil }
        let item = String(current)
        items.append(!wasQuoted && item == "NULL" ? nil : item)
        return items
    }
}
