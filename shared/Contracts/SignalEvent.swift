import Core
import Foundation

/// An entry of the `signals` stream, and the message on the `signals` pub/sub channel (the same
/// fields as one JSON object): a signal opened, or an open signal resolved. Published from the
/// committed `signals` row (an outbox), so at least once: consumers de-duplicate by `id` and
/// `event`.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `event` | `opened` or `resolved` |
/// | `id` | the signal's id in PostgreSQL |
/// | `m`, `s` | market and symbol |
/// | `dir` | `long` or `short` |
/// | `at` | the moment: open time of the analysed 1m candle, Unix ms |
/// | `entry`, `stop`, `t1`, `t2` | entry, stop and targets, plain decimals |
/// | `expires` | Unix ms |
/// | `p`, `c` | probability and confidence, 0…1 |
/// | `heads` | agreeing heads, comma-separated |
/// | `status` | `open`, `won`, `lost` or `expired` |
/// | `exit`, `r`, `resolved` | resolved only: exit price, return in R, resolution time (Unix ms) |
public struct SignalEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case opened, resolved }

    public var kind: Kind
    public var id: Int64
    public var market: Market
    public var symbol: String
    public var direction: String
    public var moment: Int64
    public var entry: Double
    public var stop: Double
    public var target1: Double
    public var target2: Double
    public var expiresAt: Int64
    public var probability: Double
    public var confidence: Double
    public var heads: [String]
    public var status: String
    public var exitPrice: Double?
    public var returnR: Double?
    public var resolvedAt: Int64?

    public init(
        kind: Kind, id: Int64, market: Market, symbol: String, direction: String, moment: Int64, entry: Double, stop: Double,
        target1: Double, target2: Double, expiresAt: Int64, probability: Double, confidence: Double, heads: [String],
        status: String, exitPrice: Double? = nil, returnR: Double? = nil, resolvedAt: Int64? = nil
    ) {
        self.kind = kind
        self.id = id
        self.market = market
        self.symbol = symbol
        self.direction = direction
        self.moment = moment
        self.entry = entry
        self.stop = stop
        self.target1 = target1
        self.target2 = target2
        self.expiresAt = expiresAt
        self.probability = probability
        self.confidence = confidence
        self.heads = heads
        self.status = status
        self.exitPrice = exitPrice
        self.returnR = returnR
        self.resolvedAt = resolvedAt
    }

    static func decimal(_ value: Double) -> String { DecimalText.format(value) ?? "0" }

    public var fields: [(String, String)] {
        var fields: [(String, String)] = [
            (SchemaVersion.field, String(SchemaVersion.current)), ("event", kind.rawValue), ("id", String(id)), ("m", market.rawValue),
            ("s", symbol), ("dir", direction), ("at", String(moment)), ("entry", Self.decimal(entry)), ("stop", Self.decimal(stop)),
            ("t1", Self.decimal(target1)), ("t2", Self.decimal(target2)), ("expires", String(expiresAt)),
            ("p", Self.decimal(probability)), ("c", Self.decimal(confidence)), ("heads", heads.joined(separator: ",")),
            ("status", status),
        ]
        if let exitPrice { fields.append(("exit", Self.decimal(exitPrice))) }
        if let returnR { fields.append(("r", Self.decimal(returnR))) }
        if let resolvedAt { fields.append(("resolved", String(resolvedAt))) }
        return fields
    }

    /// The pub/sub message: the fields as one JSON object.
    public var message: String {
        var object: [String: String] = [:]
        for (name, value) in fields { object[name] = value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// - Throws: `ContractError` for a field that breaks the table above.
    public init(fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        guard let kind = Kind(rawValue: try fields.text("event", maxBytes: 16)) else { throw ContractError(.badField, "unknown event") }
        self.kind = kind
        id = try fields.integer("id")
        market = try MarketSymbolRules.market(fields.text("m", maxBytes: 16))
        symbol = try MarketSymbolRules.symbol(fields.text("s", maxBytes: 64))
        direction = try fields.text("dir", maxBytes: 8)
        guard direction == "long" || direction == "short" else { throw ContractError(.badField, "direction '\(direction)'") }
        moment = try fields.integer("at")
        func number(_ name: String) throws(ContractError) -> Double {
            let text = try fields.text(name, maxBytes: 100)
            guard DecimalText.isValid(text), let value = Double(text), value.isFinite else {
                throw ContractError(.badField, "field '\(name)' is not a plain decimal")
            }
            return value
        }
        entry = try number("entry")
        stop = try number("stop")
        target1 = try number("t1")
        target2 = try number("t2")
        expiresAt = try fields.integer("expires")
        probability = try number("p")
        confidence = try number("c")
        guard (0...1).contains(probability), (0...1).contains(confidence) else { throw ContractError(.badField, "probability or confidence out of 0…1") }
        let headText = try fields.text("heads", maxBytes: 512)
        heads = headText.isEmpty ? [] : headText.split(separator: ",").map(String.init)
        status = try fields.text("status", maxBytes: 16)
        guard ["open", "won", "lost", "expired"].contains(status) else { throw ContractError(.badField, "status '\(status)'") }
        if kind == .resolved {
            guard status != "open" else { throw ContractError(.badField, "a resolved event with status open") }
            exitPrice = try number("exit")
            returnR = try fields["r"].map { _ throws(ContractError) in
                let text = try fields.text("r", maxBytes: 100)
                guard DecimalText.isValid(text), let value = Double(text) else { throw ContractError(.badField, "field 'r' is not a plain decimal") }
                return value
            }
            resolvedAt = try fields.integer("resolved")
        } else {
            exitPrice = nil
            returnR = nil
            resolvedAt = nil
        }
    }
}
