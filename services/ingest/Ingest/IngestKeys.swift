import Core

/// The Redis keys the ingest writes, under the configured prefix (default `ap:`).
///
/// - `kline:{market}:{symbol}` (hash): the latest kline, open or closed — fields `t` open
///   time and `T` close time (ms), `o h l c v q V Q` (decimal text as Binance sent it), `n`
///   trades, `x` closed (`1`/`0`), `E` event time (ms).
/// - `candles` (stream, capped by `ingest.candles_maxlen`): every closed 1m kline, from the
///   WebSocket or a backfill — fields `m` market, `s` symbol, `t`, `T`, `o h l c v q V Q`, `n`,
///   `src` (`ws` or `backfill`). At least once: the persister group upserts idempotently.
/// - `mark:{symbol}` (hash, futures): `p` mark price, `i` index price, `P` estimated settle
///   price, `r` funding rate, `T` next funding time, `E` event time — what the heads read as
///   funding and premium.
public struct IngestKeys: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    public var candles: String { prefix + "candles" }
    public func kline(_ market: Market, _ symbol: String) -> String { "\(prefix)kline:\(market.rawValue):\(symbol)" }
    public func mark(_ symbol: String) -> String { "\(prefix)mark:\(symbol)" }
    public var symbols: String { prefix + "symbols" }
    public var symbolsChanged: String { prefix + "symbols:changed" }
    public func shardLease(_ shard: Int) -> String { "\(prefix)lease:ingest:shard:\(shard)" }
    public var members: String { prefix + "ingest:members" }
    /// The persister consumer group on `candles`.
    public static let persisterGroup = "persister"
}
