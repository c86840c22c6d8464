/// Who wrote a stored candle; the raw value is the `candles.source` column.
public enum CandleSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// A closed 1m kline from the WebSocket stream.
    case ws
    /// A 1m kline fetched over REST to fill a gap.
    case backfill
    /// A 1m kline read from a data.binance.vision archive.
    case `import`
    /// A 5m…1d candle derived from 1m inside PostgreSQL (never written by clients).
    case rollup
}
