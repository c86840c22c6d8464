import Foundation

/// A result column: its name and type OID.
public struct PostgresColumn: Sendable, Hashable {
    public let name: String
    public let type: UInt32
}

/// The rows a statement returned, with the affected-row count for INSERT/UPDATE/DELETE.
public struct PostgresRows: Sendable, RandomAccessCollection {
    public let columns: [PostgresColumn]
    public let rows: [PostgresRow]
    /// Rows affected by INSERT, UPDATE, DELETE, COPY … (0 for other statements).
    public let affectedRows: Int

    public var startIndex: Int { rows.startIndex }
    public var endIndex: Int { rows.endIndex }
    public subscript(position: Int) -> PostgresRow { rows[position] }
}

/// One row of text-format values.
public struct PostgresRow: Sendable {
    @usableFromInline let columns: [PostgresColumn]
    @usableFromInline let values: [String?]

    /// Decodes column `index` as `T`. Use an Optional `T` for nullable columns.
    ///
    /// Inlinable, so a caller decoding many rows gets a version for its `T` (a generic call
    /// across modules looks `T`'s metadata up for every value).
    /// - Throws: `PostgresError` `.decoding` naming the column and the expected type.
    @inlinable
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        precondition(index < values.count, "column \(index) does not exist; the row has \(values.count)")
        guard let text = values[index] else { throw decodingError(index, T.self, null: true) }
        guard let value = T(postgresText: Substring(text), type: columns[index].type) else { throw decodingError(index, T.self, null: false) }
        return value
    }

    @inlinable
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T?.Type) throws -> T? {
        values[index] == nil ? nil : try decode(index, as: T.self)
    }

    @usableFromInline
    func decodingError(_ index: Int, _ type: Any.Type, null: Bool) -> PostgresError {
        let column = columns[index]
        let message = null
            ? "column '\(column.name)' is NULL, expected \(type)"
            : "column '\(column.name)' (type oid \(column.type)) is not a valid \(type)"
        return PostgresError(.decoding, message: message, connectionUsable: true)
    }

    /// Decodes the column named `name`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try decode(try columnIndex(name), as: T.self)
    }

    public func decode<T: PostgresDecodable>(_ name: String, as type: T?.Type) throws -> T? {
        try decode(try columnIndex(name), as: T?.self)
    }

    /// Decodes a json or jsonb column into `T`.
    public func decodeJSON<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let index = try columnIndex(name)
        let text: String = try decode(index)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw PostgresError(.decoding, message: "column '\(name)' does not decode as \(T.self): \(error)", connectionUsable: true)
        }
    }

    /// Whether column `index` is NULL.
    public func isNull(_ index: Int) -> Bool { values[index] == nil }

    private func columnIndex(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError(.decoding, message: "no column named '\(name)'", connectionUsable: true)
        }
        return index
    }
}
