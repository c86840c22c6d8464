/// An error from the candle store or the archive importer.
///
/// `description` is short and names the file and line when there is one; it never contains
/// SQL. Database failures are not wrapped: they surface as `PostgresError`.
public struct CandleStoreError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidCandle, notFound, badName, unsupportedInterval, badZip, malformedRow, unreadable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A candle handed to `upsert` cannot be stored (not 1m, misaligned open time, a value
        /// that is not a decimal number, a `rollup` source…).
        public static let invalidCandle = Code(.invalidCandle)
        /// The archive path does not exist.
        public static let notFound = Code(.notFound)
        /// A file name that is not `SYMBOL-INTERVAL-DATE.csv|.zip`.
        public static let badName = Code(.badName)
        /// An archive of an interval other than 1m (only 1m is imported; the rest is derived).
        public static let unsupportedInterval = Code(.unsupportedInterval)
        /// A .zip that cannot be read, or that does not hold exactly one .csv.
        public static let badZip = Code(.badZip)
        /// A CSV line that is not a 1m kline row.
        public static let malformedRow = Code(.malformedRow)
        /// The file could not be read.
        public static let unreadable = Code(.unreadable)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The archive file concerned, if any.
    public var path: String?
    /// The 1-based CSV line concerned, if any.
    public var lineNumber: Int?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, path: String? = nil, lineNumber: Int? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.path = path
        self.lineNumber = lineNumber
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "CandleStoreError(\(code)): "
        if let path { text += path + (lineNumber.map { ":\($0)" } ?? "") + ": " }
        return text + message
    }

    public var debugDescription: String { description + " [\(file):\(line)]" }
}
