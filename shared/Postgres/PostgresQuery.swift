/// A SQL statement whose values are bound parameters, never spliced into the text.
///
/// Build it by string interpolation: every interpolated value becomes `$n` and is sent
/// separately, so hostile strings cannot change the statement.
///
/// ```swift
/// let rows = try await pool.query("SELECT rank FROM tracked_symbols WHERE market = \(market) AND symbol = \(symbol)")
/// ```
///
/// SQL text that does not come from a literal must be spelled `PostgresQuery(unsafeSQL:)`.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var sql: String
    /// Text-format values; nil is SQL NULL.
    public private(set) var binds: [String?]
    public private(set) var types: [UInt32]

    /// A statement from text that was not written as a literal. The caller vouches that no
    /// outside input was spliced into it.
    public init(unsafeSQL sql: String, binds: [any PostgresEncodable] = []) {
        self.sql = sql
        self.binds = binds.map(\.postgresText)
        self.types = binds.map { type(of: $0).postgresType }
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
        self.types = stringInterpolation.types
    }

    /// Whether the statement is prepared once per connection and then executed by name.
    public private(set) var isPrepared = false

    /// This statement, prepared once per connection and executed by name after that: the server
    /// parses and plans it once (a generic plan once it finds one as good), not on every run.
    /// For fixed text run many times with different values; text that varies from run to run
    /// would only fill the connection's statement cache.
    public func prepared() -> PostgresQuery {
        var copy = self
        copy.isPrepared = true
        return copy
    }

    /// The SQL text only; bound values are never shown.
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []
        var types: [UInt32] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            binds.append(value.postgresText)
            types.append(Value.postgresType)
            sql += "$\(binds.count)"
        }

        /// Binds `value`, or SQL NULL when it is nil.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value?.postgresText)
            types.append(Value.postgresType)
            sql += "$\(binds.count)"
        }

        /// A table, column or schema name, double-quoted so that any text is a safe identifier.
        public mutating func appendInterpolation(identifier: String) {
            sql += PostgresQuery.quoteIdentifier(identifier)
        }

        /// Raw SQL text. The caller vouches that it holds no outside input.
        public mutating func appendInterpolation(unsafeSQL: String) {
            sql += unsafeSQL
        }
    }

    /// `name` as a quoted identifier: `my"table` → `"my""table"`.
    public static func quoteIdentifier(_ name: String) -> String {
        precondition(!name.contains("\u{0}"), "identifiers cannot contain NUL")
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
