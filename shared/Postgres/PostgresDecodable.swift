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
        if let value = Self.exactDecimal(text) {
            self = value
            return
        }
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(text)
        }
    }
}

extension Double {
    /// Powers of ten a Double holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    /// The value of a plain decimal text (`-`? digits, `.` and digits optional) whose digits
    /// without the point make an integer up to 2^53, with at most 22 after the point; nil for
    /// any other text. Such a value is that integer divided by a power of ten, both exact in a
    /// Double, so the one division is correctly rounded: the same Double as `Double(text)`
    /// (strtod), at a fraction of its cost. Prices and volumes are such texts; a read of whole
    /// candle windows parses millions of them.
    static func exactDecimal(_ text: Substring) -> Double? {
        let parsed: Double?? = text.utf8.withContiguousStorageIfAvailable { bytes -> Double? in
            var index = 0
            let negative = bytes.first == UInt8(ascii: "-")
            if negative { index = 1 }
            var mantissa: UInt64 = 0
            var integerDigits = 0
            var fractionDigits = 0
            var point = false
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "."), !point {
                    point = true
                    continue
                }
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                // 2^53 has 16 digits: beyond 17 (as with leading zeros) the bound below is checked without overflow.
                guard mantissa <= 1 << 53 else { return nil }
                mantissa = mantissa * 10 + UInt64(digit)
                if point { fractionDigits += 1 } else { integerDigits += 1 }
            }
            guard integerDigits > 0, !point || fractionDigits > 0 else { return nil }
            // Trailing zeros after the point change nothing but the divisor.
            while fractionDigits > 0, mantissa % 10 == 0 {
                mantissa /= 10
                fractionDigits -= 1
            }
            guard mantissa <= 1 << 53, fractionDigits <= 22 else { return nil }
            let magnitude = Double(mantissa) / exactPowersOfTen[fractionDigits]
            return negative ? -magnitude : magnitude
        }
        return parsed ?? nil
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
