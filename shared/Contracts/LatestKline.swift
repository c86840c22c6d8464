import Core

/// The `kline:{market}:{symbol}` hash: the newest kline of a symbol, open or closed. State, not
/// history: each write replaces the fields, and an older kline never replaces a newer one.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `t` `T` | open and close time, Unix ms (`T = t + 59999`) |
/// | `o` `h` `l` `c` `v` `q` `V` `Q` | as in `CandleEntry` (plain decimal text) |
/// | `n` | trade count |
/// | `x` | `1` when the kline is closed, `0` while it is in progress |
/// | `E` | Binance's event time of the frame, Unix ms |
public struct LatestKline: Sendable, Hashable {
    public var row: CandleRow
    public var isClosed: Bool
    public var eventTime: Int64

    public init(row: CandleRow, isClosed: Bool, eventTime: Int64) {
        self.row = row
        self.isClosed = isClosed
        self.eventTime = eventTime
    }

    /// The hash fields (market and symbol are in the key).
    public var fields: [(String, String)] {
        [
            (SchemaVersion.field, String(SchemaVersion.current)), ("t", String(row.openTime)), ("T", String(row.closeTime)),
            ("o", row.open), ("h", row.high), ("l", row.low), ("c", row.close), ("v", row.volume), ("q", row.quoteVolume),
            ("V", row.takerBuyVolume), ("Q", row.takerBuyQuoteVolume), ("n", String(row.trades)), ("x", isClosed ? "1" : "0"),
            ("E", String(eventTime)),
        ]
    }

    /// Decodes a hash read with HGETALL.
    /// - Throws: `ContractError` for a field that breaks the table above.
    public init(market: Market, symbol: String, fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        var entry: [(name: String, value: String)] = [
            (CandleEntry.Field.market, market.rawValue), (CandleEntry.Field.symbol, symbol), (CandleEntry.Field.source, "ws"),
        ]
        for name in ["t", "T", "o", "h", "l", "c", "v", "q", "V", "Q", "n"] {
            guard let value = fields[name] else { throw ContractError(.missingField, "no field '\(name)'") }
            entry.append((name, value))
        }
        row = try CandleEntry.decode(StreamFields(entry))
        switch fields["x"] {
        case "1": isClosed = true
        case "0": isClosed = false
        default: throw ContractError(.badField, "field 'x' is not 0 or 1")
        }
        eventTime = try fields.integer("E")
    }
}

/// The `mark:{symbol}` hash (futures): the newest mark-price frame, what the heads read as
/// funding and premium.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `p` | mark price |
/// | `i` | index price |
/// | `P` | estimated settle price |
/// | `r` | funding rate (signed decimal) |
/// | `T` | next funding time, Unix ms |
/// | `E` | event time, Unix ms |
public struct MarkPrice: Sendable, Hashable {
    public var markPrice: String
    public var indexPrice: String
    public var estimatedSettlePrice: String
    public var fundingRate: String
    public var nextFundingTime: Int64
    public var eventTime: Int64

    public init(markPrice: String, indexPrice: String, estimatedSettlePrice: String, fundingRate: String, nextFundingTime: Int64, eventTime: Int64) {
        self.markPrice = markPrice
        self.indexPrice = indexPrice
        self.estimatedSettlePrice = estimatedSettlePrice
        self.fundingRate = fundingRate
        self.nextFundingTime = nextFundingTime
        self.eventTime = eventTime
    }

    public var fields: [(String, String)] {
        [
            (SchemaVersion.field, String(SchemaVersion.current)), ("p", markPrice), ("i", indexPrice), ("P", estimatedSettlePrice),
            ("r", fundingRate), ("T", String(nextFundingTime)), ("E", String(eventTime)),
        ]
    }

    /// - Throws: `ContractError` for a field that breaks the table above.
    public init(fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        func decimal(_ name: String, signed: Bool) throws(ContractError) -> String {
            let text = try fields.text(name, maxBytes: 64)
            guard DecimalText.isValid(text), signed || text.utf8.first != UInt8(ascii: "-") else {
                throw ContractError(.badField, "field '\(name)' is not a plain decimal: \(text.prefix(24))")
            }
            return text
        }
        markPrice = try decimal("p", signed: false)
        indexPrice = try decimal("i", signed: false)
        estimatedSettlePrice = try decimal("P", signed: false)
        fundingRate = try decimal("r", signed: true)
        nextFundingTime = try fields.integer("T")
        eventTime = try fields.integer("E")
    }
}
