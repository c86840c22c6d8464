import Core

/// The round-robin position: the last symbol enqueued, in the scheduler's order (market, then
/// symbol). Kept at `scheduler:position` as `{market}:{symbol}` and written only by the fenced
/// enqueue script, so a restart or a new leader continues after it. A position that names a
/// symbol no longer tracked still orders: the cycle continues with the next symbol after it.
extension MarketSymbol {
    /// `futures:BTCUSDT`.
    public var positionText: String { "\(market.rawValue):\(symbol)" }

    /// - Throws: `ContractError` when `text` is not `{market}:{symbol}` with a valid symbol.
    public init(positionText text: String) throws(ContractError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ContractError(.badField, "position '\(text.prefix(64))' is not market:symbol") }
        self.init(try MarketSymbolRules.market(String(parts[0])), try MarketSymbolRules.symbol(String(parts[1])))
    }
}

/// The `scheduler:status` hash, written by the leading scheduler every few seconds and by a
/// standby about itself only when no leader writes (it keeps `leader` empty then).
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `leader` | instance id of the leading scheduler |
/// | `mode` | `round_robin`, `close` or `both` |
/// | `symbols` | active symbols scheduled (both markets) |
/// | `position` | last symbol enqueued, `{market}:{symbol}`, empty before the first batch |
/// | `cycle` | round-robin cycles completed since the position was first set on this leader |
/// | `exchange_time` | close of the newest committed 1m candle seen, Unix ms (the scheduler's clock) |
/// | `next_batch` | exchange time the next round-robin batch is due at, Unix ms |
/// | `enqueued` | jobs enqueued by this leader |
/// | `coalesced` | triggers not enqueued because a job of that symbol was still waiting |
/// | `skipped` | symbols passed over for want of any committed candle |
/// | `fenced` | enqueues refused because the lease was no longer this instance's |
/// | `updated` | when this was written, Unix ms (wall clock of the writer) |
public struct SchedulerStatus: Sendable, Hashable {
    public var leader: String
    public var mode: String
    public var symbols: Int
    public var position: String
    public var cycle: Int
    public var exchangeTime: Int64
    public var nextBatch: Int64
    public var enqueued: Int
    public var coalesced: Int
    public var skipped: Int
    public var fenced: Int
    public var updated: Int64

    public init(
        leader: String, mode: String, symbols: Int, position: String, cycle: Int, exchangeTime: Int64, nextBatch: Int64,
        enqueued: Int, coalesced: Int, skipped: Int, fenced: Int, updated: Int64
    ) {
        self.leader = leader
        self.mode = mode
        self.symbols = symbols
        self.position = position
        self.cycle = cycle
        self.exchangeTime = exchangeTime
        self.nextBatch = nextBatch
        self.enqueued = enqueued
        self.coalesced = coalesced
        self.skipped = skipped
        self.fenced = fenced
        self.updated = updated
    }

    public var fields: [(String, String)] {
        [
            (SchemaVersion.field, String(SchemaVersion.current)), ("leader", leader), ("mode", mode), ("symbols", String(symbols)),
            ("position", position), ("cycle", String(cycle)), ("exchange_time", String(exchangeTime)),
            ("next_batch", String(nextBatch)), ("enqueued", String(enqueued)), ("coalesced", String(coalesced)),
            ("skipped", String(skipped)), ("fenced", String(fenced)), ("updated", String(updated)),
        ]
    }

    /// - Throws: `ContractError` for a field that breaks the table above.
    public init(fields: StreamFields) throws(ContractError) {
        _ = try SchemaVersion.check(fields[SchemaVersion.field])
        leader = try fields.text("leader", maxBytes: 256)
        mode = try fields.text("mode", maxBytes: 16)
        guard ["round_robin", "close", "both"].contains(mode) else { throw ContractError(.badField, "mode '\(mode)' is unknown") }
        position = try fields.text("position", maxBytes: 64)
        if !position.isEmpty { _ = try MarketSymbol(positionText: position) }
        func count(_ name: String) throws(ContractError) -> Int {
            let value = try fields.integer(name)
            guard value >= 0, value <= Int64(Int32.max) * 1024 else { throw ContractError(.badField, "\(name) \(value) is out of range") }
            return Int(value)
        }
        symbols = try count("symbols")
        cycle = try count("cycle")
        enqueued = try count("enqueued")
        coalesced = try count("coalesced")
        skipped = try count("skipped")
        fenced = try count("fenced")
        exchangeTime = try fields.integer("exchange_time")
        nextBatch = try fields.integer("next_batch")
        updated = try fields.integer("updated")
    }
}
