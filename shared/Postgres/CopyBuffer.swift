/// Rows in PostgreSQL's COPY text format, built in memory for `PostgresConnection.copy` and
/// `bulkUpsert`. Values are escaped as COPY requires; nil is written as `\N`.
///
/// ```swift
/// var buffer = CopyBuffer(columns: 3)
/// buffer.append(market); buffer.append(symbol); buffer.append(openTime)
/// buffer.endRow()
/// ```
public struct CopyBuffer: Sendable {
    public let columnCount: Int
    public private(set) var bytes: [UInt8] = []
    public private(set) var rowCount = 0
    private var fieldsInRow = 0

    public init(columns: Int, reservingBytes: Int = 0) {
        precondition(columns > 0)
        columnCount = columns
        bytes.reserveCapacity(reservingBytes)
    }

    /// Appends the next field of the current row.
    public mutating func append(_ value: (some PostgresEncodable)?) {
        precondition(fieldsInRow < columnCount, "row has more fields than the \(columnCount) columns")
        if fieldsInRow > 0 { bytes.append(0x09) }
        fieldsInRow += 1
        guard let value else {
            bytes.append(contentsOf: [0x5C, 0x4E])  // \N
            return
        }
        appendEscaped(value.postgresText)
    }

    /// Appends a number without going through `String` escaping (hot path for candles).
    public mutating func append(_ value: Int64) {
        precondition(fieldsInRow < columnCount, "row has more fields than the \(columnCount) columns")
        if fieldsInRow > 0 { bytes.append(0x09) }
        fieldsInRow += 1
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Ends the current row; it must have exactly `columnCount` fields.
    public mutating func endRow() {
        precondition(fieldsInRow == columnCount, "row has \(fieldsInRow) fields, expected \(columnCount)")
        bytes.append(0x0A)
        fieldsInRow = 0
        rowCount += 1
    }

    /// Appends every row of `other`, which must have the same columns.
    public mutating func append(contentsOf other: CopyBuffer) {
        precondition(other.columnCount == columnCount && fieldsInRow == 0, "buffers must have the same columns and whole rows")
        bytes.append(contentsOf: other.bytes)
        rowCount += other.rowCount
    }

    private mutating func appendEscaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])  // backslash
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])  // \t
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])  // \n
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])  // \r
            default: bytes.append(byte)
            }
        }
    }
}
