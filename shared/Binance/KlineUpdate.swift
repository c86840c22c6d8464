import Core

/// One kline as Binance reported it: a WebSocket `kline` event (open or closed) or a REST
/// kline row (backfill). Times are Unix milliseconds (UTC).
///
/// Decimals keep Binance's exact text (for PostgreSQL `numeric`) next to their `Double`.
public struct KlineUpdate: Sendable, Hashable {
    /// The market the frame came from; the parser cannot know it, the caller sets it.
    public var market: Market?
    /// Upper-case exchange symbol, e.g. `BTCUSDT`.
    public var symbol: String
    public var interval: KlineInterval
    public var openTime: Int64
    /// `openTime + interval - 1`.
    public var closeTime: Int64
    /// The event time `E`; nil for REST rows.
    public var eventTime: Int64?
    /// First and last trade ID (`f`, `L`; -1 when the kline has no trades); nil for REST rows.
    public var firstTradeID: Int64?
    public var lastTradeID: Int64?
    public var open: ExactDecimal
    public var high: ExactDecimal
    public var low: ExactDecimal
    public var close: ExactDecimal
    /// Base-asset volume (`v`).
    public var volume: ExactDecimal
    /// Quote-asset volume (`q`).
    public var quoteVolume: ExactDecimal
    /// Taker-buy base-asset volume (`V`).
    public var takerBuyVolume: ExactDecimal
    /// Taker-buy quote-asset volume (`Q`).
    public var takerBuyQuoteVolume: ExactDecimal
    /// Number of trades (`n`).
    public var trades: Int64
    /// Whether the kline is final (`x`); REST rows are closed unless they end after `now`.
    public var isClosed: Bool

    public init(
        market: Market? = nil, symbol: String, interval: KlineInterval, openTime: Int64, closeTime: Int64,
        eventTime: Int64?, firstTradeID: Int64?, lastTradeID: Int64?,
        open: ExactDecimal, high: ExactDecimal, low: ExactDecimal, close: ExactDecimal,
        volume: ExactDecimal, quoteVolume: ExactDecimal, takerBuyVolume: ExactDecimal, takerBuyQuoteVolume: ExactDecimal,
        trades: Int64, isClosed: Bool
    ) {
        self.market = market
        self.symbol = symbol
        self.interval = interval
        self.openTime = openTime
        self.closeTime = closeTime
        self.eventTime = eventTime
        self.firstTradeID = firstTradeID
        self.lastTradeID = lastTradeID
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.takerBuyVolume = takerBuyVolume
        self.takerBuyQuoteVolume = takerBuyQuoteVolume
        self.trades = trades
        self.isClosed = isClosed
    }

    /// The Core candle of this kline, in `market` (overriding `self.market`); nil when the
    /// interval is not one AlphaPulse stores (`CandleInterval`).
    public func candle(market: Market) -> Candle? {
        guard let candleInterval = interval.candleInterval else { return nil }
        return Candle(
            market: market, symbol: symbol, interval: candleInterval, openTime: openTime, closeTime: closeTime,
            open: open.value, high: high.value, low: low.value, close: close.value,
            volume: volume.value, quoteVolume: quoteVolume.value, trades: trades,
            takerBuyVolume: takerBuyVolume.value, takerBuyQuoteVolume: takerBuyQuoteVolume.value
        )
    }
}
