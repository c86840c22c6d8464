import Core

/// An entry of `jobs` (routine, from the scheduler) or `jobs:now` (on demand, from the gateway,
/// read first and never coalesced): analyse one symbol at one moment.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `id` | job id, 1–64 of `A-Z a-z 0-9 _ - :` |
/// | `m` | market |
/// | `s` | symbol |
/// | `at` | the moment analysed: the open time of the last closed 1m candle to use, Unix ms |
/// | `reason` | why: `schedule`, `candle_close`, `on_demand`… (1–32 bytes) |
/// | `reply` | on-demand only: the `reply:{id}` list to push the result to |
/// | `enqueued` | when it was enqueued, Unix ms |
public struct AnalysisJob: Sendable, Hashable {
    public var id: String
    public var market: Market
    public var symbol: String
    public var moment: Int64
    public var reason: String
    public var replyKey: String?
    public var enqueuedAt: Int64

    public init(id: String, market: Market, symbol: String, moment: Int64, reason: String, replyKey: String? = nil, enqueuedAt: Int64) {
        self.id = id
        self.market = market
        self.symbol = symbol
        self.moment = moment
        self.reason = reason
        self.replyKey = replyKey
        self.enqueuedAt = enqueuedAt
    }

    /// The backpressure class of a routine job: `close` for candle-close triggers, `schedule`
    /// for everything else (the round robin).
    public var kind: String { reason.hasPrefix("close") ? "close" : "schedule" }

    public var fields: [(String, String)] {
        var fields: [(String, String)] = [
            (SchemaVersion.field, String(SchemaVersion.current)), ("id", id), ("m", market.rawValue), ("s", symbol), ("at", String(moment)),
            ("reason", reason),
        ]
        if let replyKey { fields.append(("reply", replyKey)) }
        fields.append(("enqueued", String(enqueuedAt)))
        return fields
    }

    /// - Throws: `ContractError` for a field that breaks the table above.
    public init(fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        id = try fields.text("id", maxBytes: 64)
        guard !id.isEmpty, id.utf8.allSatisfy({ byte in
            (byte >= 48 && byte <= 58) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95 || byte == 45
        }) else { throw ContractError(.badField, "job id '\(id.prefix(64))' is not 1–64 of A-Z a-z 0-9 _ - :") }
        market = try MarketSymbolRules.market(fields.text("m", maxBytes: 16))
        symbol = try MarketSymbolRules.symbol(fields.text("s", maxBytes: 64))
        moment = try fields.integer("at")
        guard moment >= 0, moment < TimeRules.maxMillis, moment % 60_000 == 0 else {
            throw ContractError(.badField, "moment \(moment) is not a whole minute in range")
        }
        reason = try fields.text("reason", maxBytes: 32)
        guard !reason.isEmpty else { throw ContractError(.badField, "empty reason") }
        replyKey = try fields["reply"].map { _ throws(ContractError) in try fields.text("reply", maxBytes: 512) }
        enqueuedAt = try fields.integer("enqueued")
    }
}
