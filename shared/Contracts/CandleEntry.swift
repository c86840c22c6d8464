import Core

/// An entry of the `candles` stream: one closed 1m kline, from the WebSocket or a backfill.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` (absent: version 1, the same fields) |
/// | `m` | market, `spot` or `futures` |
/// | `s` | symbol, 1–32 of `A-Z 0-9 _ -` |
/// | `t` | open time, Unix ms, on a whole minute |
/// | `T` | close time, Unix ms, exactly `t + 59999` |
/// | `o` `h` `l` `c` | open, high, low, close |
/// | `v` `q` | base and quote volume |
/// | `V` `Q` | taker-buy base and quote volume |
/// | `n` | trade count, ≥ 0 |
/// | `src` | `ws` or `backfill` |
///
/// Prices and volumes are plain non-negative decimal text as Binance printed it (`24464.35`,
/// `.5`): no sign, exponent, `nan` or `inf`, at most 64 bytes. At least once: the persister
/// group upserts idempotently by (market, symbol, t).
public enum CandleEntry {
    public enum Field {
        public static let market = "m", symbol = "s", openTime = "t", closeTime = "T"
        public static let open = "o", high = "h", low = "l", close = "c", volume = "v", quoteVolume = "q"
        public static let takerBuyVolume = "V", takerBuyQuoteVolume = "Q", trades = "n", source = "src"
    }

    /// The entry's fields, ready for `XADD`.
    public static func encode(_ row: CandleRow) -> [(String, String)] {
        [
            (SchemaVersion.field, String(SchemaVersion.current)), (Field.market, row.market.rawValue), (Field.symbol, row.symbol),
            (Field.openTime, String(row.openTime)), (Field.closeTime, String(row.closeTime)), (Field.open, row.open),
            (Field.high, row.high), (Field.low, row.low), (Field.close, row.close), (Field.volume, row.volume),
            (Field.quoteVolume, row.quoteVolume), (Field.trades, String(row.trades)), (Field.takerBuyVolume, row.takerBuyVolume),
            (Field.takerBuyQuoteVolume, row.takerBuyQuoteVolume), (Field.source, row.source.rawValue),
        ]
    }

    /// Decodes an entry strictly.
    /// - Throws: `ContractError` naming the first field that breaks the table above.
    public static func decode(_ fields: StreamFields) throws(ContractError) -> CandleRow {
        if fields.isEmpty { throw ContractError(.missingField, "the entry has no fields (trimmed or deleted)") }
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        let market = try MarketSymbolRules.market(fields.text(Field.market, maxBytes: 16))
        let symbol = try MarketSymbolRules.symbol(fields.text(Field.symbol, maxBytes: 64))
        let openTime = try fields.integer(Field.openTime)
        guard openTime >= 0, openTime < TimeRules.maxMillis, openTime % 60_000 == 0 else {
            throw ContractError(.badField, "open time \(openTime) is not a whole minute in range")
        }
        let closeTime = try fields.integer(Field.closeTime)
        guard closeTime == openTime + 59_999 else {
            throw ContractError(.badField, "close time \(closeTime) does not match open time \(openTime) (expected \(openTime + 59_999))")
        }
        let trades = try fields.integer(Field.trades)
        guard trades >= 0 else { throw ContractError(.badField, "trade count \(trades) is negative") }
        let sourceText = try fields.text(Field.source, maxBytes: 16)
        guard let source = CandleSource(rawValue: sourceText), source == .ws || source == .backfill else {
            throw ContractError(.badField, "source '\(sourceText.prefix(16))' is not ws or backfill")
        }
        return CandleRow(
            market: market, symbol: symbol, interval: .oneMinute, openTime: openTime, closeTime: closeTime,
            open: try decimal(fields, Field.open), high: try decimal(fields, Field.high), low: try decimal(fields, Field.low),
            close: try decimal(fields, Field.close), volume: try decimal(fields, Field.volume),
            quoteVolume: try decimal(fields, Field.quoteVolume), trades: trades,
            takerBuyVolume: try decimal(fields, Field.takerBuyVolume), takerBuyQuoteVolume: try decimal(fields, Field.takerBuyQuoteVolume),
            source: source)
    }

    /// Decodes an entry as Redis returned it.
    public static func decode(_ fields: [(name: String, value: String)]) throws(ContractError) -> CandleRow {
        try decode(StreamFields(fields))
    }

    static func decimal(_ fields: StreamFields, _ name: String) throws(ContractError) -> String {
        let text = try fields.text(name, maxBytes: 64)
        guard text.utf8.first != UInt8(ascii: "-"), DecimalText.isValid(text) else {
            throw ContractError(.badField, "field '\(name)' is not a plain non-negative decimal: \(text.prefix(24))")
        }
        return text
    }
}

/// Shared value rules of the contract.
public enum MarketSymbolRules {
    /// A market name.
    public static func market(_ text: String) throws(ContractError) -> Market {
        guard let market = Market(rawValue: text) else { throw ContractError(.badField, "market '\(text.prefix(16))' is not spot or futures") }
        return market
    }

    /// A Binance symbol: 1–32 bytes of `A-Z 0-9 _ -`.
    public static func symbol(_ text: String) throws(ContractError) -> String {
        guard isSymbol(text) else { throw ContractError(.badField, "symbol '\(text.prefix(40))' is not 1–32 of A-Z 0-9 _ -") }
        return text
    }

    public static func isSymbol(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 32 else { return false }
        return utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}

/// Shared time rules of the contract.
public enum TimeRules {
    /// Year 10000 in Unix ms: later times are refused.
    public static let maxMillis: Int64 = 253_402_300_800_000
}
