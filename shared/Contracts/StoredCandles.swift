import Core

/// An entry of the `candles:stored` stream: 1m candles of one symbol that a persister has
/// committed to PostgreSQL. It is written after the commit and before the `candles` entries are
/// acknowledged, so a crash in between re-stores (idempotently) and re-announces them: at least
/// once, never before the rows are visible.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `m` | market |
/// | `s` | symbol |
/// | `from` | smallest open time committed, Unix ms |
/// | `to` | largest open time committed, Unix ms |
/// | `n` | candles committed in [from, to] (fewer than the minutes when the batch had holes) |
///
/// The scheduler's candle-close mode and the gateway's kline channel wait on it: an `candles`
/// entry only means the candle reached Redis.
public struct StoredCandles: Sendable, Hashable {
    public var market: Market
    public var symbol: String
    public var from: Int64
    public var to: Int64
    public var count: Int

    public init(market: Market, symbol: String, from: Int64, to: Int64, count: Int) {
        self.market = market
        self.symbol = symbol
        self.from = from
        self.to = to
        self.count = count
    }

    /// One event per market and symbol of `rows`, ordered by market then symbol.
    public static func events(for rows: [CandleRow]) -> [StoredCandles] {
        struct Key: Hashable { var market: Market; var symbol: String }
        var events: [Key: StoredCandles] = [:]
        for row in rows {
            let key = Key(market: row.market, symbol: row.symbol)
            if var event = events[key] {
                event.from = min(event.from, row.openTime)
                event.to = max(event.to, row.openTime)
                event.count += 1
                events[key] = event
            } else {
                events[key] = StoredCandles(market: row.market, symbol: row.symbol, from: row.openTime, to: row.openTime, count: 1)
            }
        }
        return events.values.sorted { ($0.market.rawValue, $0.symbol) < ($1.market.rawValue, $1.symbol) }
    }

    public var fields: [(String, String)] {
        [
            (SchemaVersion.field, String(SchemaVersion.current)), ("m", market.rawValue), ("s", symbol), ("from", String(from)),
            ("to", String(to)), ("n", String(count)),
        ]
    }

    /// - Throws: `ContractError` for a field that breaks the table above.
    public init(fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        market = try MarketSymbolRules.market(fields.text("m", maxBytes: 16))
        symbol = try MarketSymbolRules.symbol(fields.text("s", maxBytes: 64))
        from = try fields.integer("from")
        to = try fields.integer("to")
        let n = try fields.integer("n")
        guard from >= 0, from % 60_000 == 0, to % 60_000 == 0, to >= from, to < TimeRules.maxMillis else {
            throw ContractError(.badField, "open times \(from)…\(to) are not whole minutes in order")
        }
        guard n >= 1, n <= (to - from) / 60_000 + 1 else { throw ContractError(.badField, "count \(n) does not fit \(from)…\(to)") }
        count = Int(n)
    }
}
