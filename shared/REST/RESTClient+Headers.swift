import Foundation

extension RESTClient {
    /// An ordered list of HTTP header fields with case-insensitive lookup by name.
    public struct Headers: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
        /// The fields in order, names as sent or received.
        public private(set) var fields: [(name: String, value: String)]

        /// Creates headers from fields in order.
        public init(_ fields: [(name: String, value: String)] = []) {
            self.fields = fields
        }

        public init(dictionaryLiteral elements: (String, String)...) {
            self.fields = elements.map { (name: $0.0, value: $0.1) }
        }

        /// The first value of the field `name` (case-insensitive); setting replaces every field of
        /// that name, `nil` removes them.
        public subscript(name: String) -> String? {
            get { fields.first { Self.matches($0.name, name) }?.value }
            set {
                let index = fields.firstIndex { Self.matches($0.name, name) }
                fields.removeAll { Self.matches($0.name, name) }
                if let newValue { fields.insert((name, newValue), at: index ?? fields.endIndex) }
            }
        }

        /// Every value of the field `name` (case-insensitive), in order.
        public func values(for name: String) -> [String] {
            fields.filter { Self.matches($0.name, name) }.map(\.value)
        }

        /// Whether a field called `name` (case-insensitive) is present.
        public func contains(_ name: String) -> Bool {
            fields.contains { Self.matches($0.name, name) }
        }

        /// Appends a field, keeping existing ones of the same name.
        public mutating func add(name: String, value: String) {
            fields.append((name, value))
        }

        public var count: Int { fields.count }

        public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
            fields.makeIterator()
        }

        public static func == (lhs: Headers, rhs: Headers) -> Bool {
            lhs.fields.elementsEqual(rhs.fields) { $0.name.lowercased() == $1.name.lowercased() && $0.value == $1.value }
        }

        public func hash(into hasher: inout Hasher) {
            for field in fields {
                hasher.combine(field.name.lowercased())
                hasher.combine(field.value)
            }
        }

        /// Names only: values may hold credentials.
        public var description: String {
            "Headers(" + fields.map(\.name).joined(separator: ", ") + ")"
        }

        private static func matches(_ lhs: String, _ rhs: String) -> Bool {
            lhs.utf8.count == rhs.utf8.count && lhs.lowercased() == rhs.lowercased()
        }

        /// Parses one raw header line from libcurl (`Name: value\r\n`); ignores anything else.
        static func parseLine(_ line: String) -> (name: String, value: String)? {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { return nil }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            return (name, value)
        }
    }
}
