import Foundation

/// An entry of a dead-letter stream (`candles:dead`, `jobs:dead`): something a consumer could
/// never process, kept with the reason and its original fields, then acknowledged so the
/// consumer carries on. Only deterministic refusals land here; a failure that a retry can fix
/// (a server down) never does.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `reason` | slug: `missing_field`, `bad_field`, `unsupported_version`, `malformed`, `refused_by_database`… |
/// | `detail` | what was wrong, for people |
/// | `stream` | the stream the entry came from |
/// | `id` | its id there |
/// | `consumer` | who refused it |
/// | `at` | when, Unix ms |
/// | `fields` | the original fields as JSON, `[["name","value"],…]` in stored order |
public struct DeadLetter: Sendable, Hashable {
    public var reason: String
    public var detail: String
    public var stream: String
    public var id: String
    public var consumer: String
    public var at: Int64
    public var original: [[String]]

    public init(reason: String, detail: String, stream: String, id: String, consumer: String, at: Int64, original: [(name: String, value: String)]) {
        self.reason = reason
        // A reason or detail from outside is cut short: the letter must stay small.
        self.detail = String(detail.prefix(1000))
        self.stream = stream
        self.id = id
        self.consumer = consumer
        self.at = at
        self.original = original.map { [$0.name, $0.value] }
    }

    public var fields: [(String, String)] {
        let json = (try? JSONEncoder().encode(original)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            (SchemaVersion.field, String(SchemaVersion.current)), ("reason", reason), ("detail", detail), ("stream", stream), ("id", id),
            ("consumer", consumer), ("at", String(at)), ("fields", json),
        ]
    }

    /// - Throws: `ContractError` for a missing field or `fields` that is not the documented JSON.
    public init(fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        reason = try fields.text("reason", maxBytes: 64)
        detail = try fields.text("detail", maxBytes: 4096)
        stream = try fields.text("stream", maxBytes: 512)
        id = try fields.text("id", maxBytes: 64)
        consumer = try fields.text("consumer", maxBytes: 512)
        at = try fields.integer("at")
        let json = try fields.text("fields", maxBytes: 1 << 20)
        guard let original = try? JSONDecoder().decode([[String]].self, from: Data(json.utf8)), original.allSatisfy({ $0.count == 2 }) else {
            throw ContractError(.malformed, "'fields' is not a list of name/value pairs")
        }
        self.original = original
    }

    /// The original fields as name/value pairs.
    public var originalFields: [(name: String, value: String)] { original.map { ($0[0], $0[1]) } }
}
