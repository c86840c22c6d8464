/// Why kline archives could not be loaded; names the file and, for bad content, the line.
public struct ArchiveError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notFound = "not found"
            case unreadable
            case badName = "bad archive name"
            case noArchives = "no archives"
            case badZip = "bad zip"
            case malformedLine = "malformed line"
            case empty
            case outOfRange = "value out of range"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The path does not exist.
        public static let notFound = Code(.notFound)
        /// The file could not be read.
        public static let unreadable = Code(.unreadable)
        /// A file given by path is not named `SYMBOL-1m-YYYY-MM[-DD].csv|.zip`.
        public static let badName = Code(.badName)
        /// A directory holds no 1m kline archive.
        public static let noArchives = Code(.noArchives)
        /// A .zip is corrupt or holds no CSV.
        public static let badZip = Code(.badZip)
        /// A CSV line is not a kline row.
        public static let malformedLine = Code(.malformedLine)
        /// A file holds no kline row.
        public static let empty = Code(.empty)
        /// A value does not fit once the symbol's decimals are unified.
        public static let outOfRange = Code(.outOfRange)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The file (or directory) concerned.
    public var file: String
    /// 1-based line in the CSV, when the problem is one line.
    public var line: Int?
    public var detail: String

    public init(code: Code, file: String, line: Int? = nil, detail: String) {
        self.code = code
        self.file = file
        self.line = line
        self.detail = detail
    }

    public var description: String {
        if let line { return "\(file) line \(line): \(detail)" }
        return "\(file): \(detail)"
    }

    public var debugDescription: String { "ArchiveError(\(code), \(description))" }
}
