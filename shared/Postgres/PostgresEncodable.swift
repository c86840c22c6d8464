import Foundation

/// A Swift value that can be sent to PostgreSQL as a bound parameter (text format).
public protocol PostgresEncodable: Sendable {
    /// The parameter's type OID, or 0 to let the server infer it from context.
    static var postgresType: UInt32 { get }
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

extension PostgresEncodable {
    public static var postgresType: UInt32 { 0 }
}

extension String: PostgresEncodable {
    public var postgresText: String { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable {
    public static var postgresType: UInt32 { 20 }
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: UInt32 { 20 }
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: UInt32 { 23 }
    public var postgresText: String { String(self) }
}

extension Double: PostgresEncodable {
    public static var postgresType: UInt32 { 701 }
    /// Shortest round-trip form; NaN and infinities use PostgreSQL's spellings.
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return description
    }
}

extension Decimal: PostgresEncodable {
    public static var postgresType: UInt32 { 1700 }
    public var postgresText: String { description }
}

extension Bool: PostgresEncodable {
    public static var postgresType: UInt32 { 16 }
    public var postgresText: String { self ? "t" : "f" }
}

extension Date: PostgresEncodable {
    public static var postgresType: UInt32 { 1184 }
    public var postgresText: String { PostgresTimestamp.format(self) }
}

extension UUID: PostgresEncodable {
    public static var postgresType: UInt32 { 2950 }
    public var postgresText: String { uuidString }
}

/// A JSON value bound as `jsonb`.
public struct PostgresJSON<Value: Encodable & Sendable>: PostgresEncodable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public static var postgresType: UInt32 { 3802 }
    public var postgresText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own Encodable types cannot fail short of a programming error.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}

/// Arrays are sent in PostgreSQL's array literal syntax with every element quoted.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: UInt32 {
        switch Element.postgresType {
        case 20: 1016
        case 23: 1007
        case 701: 1022
        case 16: 1000
        case 1700: 1231
        case 1184: 1185
        case 2950: 2951
        default: 1009  // text[]: the server casts it where a varchar[] or similar is expected
        }
    }

    public var postgresText: String {
        PostgresArrayText.literal(map(\.postgresText))
    }
}

/// An explicitly NULL-able element for arrays with gaps.
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: UInt32 { Wrapped.postgresType }
    /// Only meaningful inside arrays (`NULL`); a top-level nil is bound as SQL NULL by `PostgresQuery`.
    public var postgresText: String { self?.postgresText ?? "NULL" }
}

enum PostgresArrayText {
    /// `{"a","b\"c"}`: every element quoted, `"` and `\` escaped; built as UTF-8 bytes (long
    /// JSON elements make this hot in batch inserts).
    static func literal(_ elements: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(elements.reduce(2) { $0 + $1.utf8.count + 3 })
        bytes.append(UInt8(ascii: "{"))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
