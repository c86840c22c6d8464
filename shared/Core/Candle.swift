/// One OHLCV candle as Binance reports it (the 12 columns of a kline, less `ignore`).
///
/// Times are Unix milliseconds (UTC); `closeTime` is `openTime + interval - 1`, as Binance
/// sends it. Volumes are in the base asset, quote volumes in the quote asset (USDT).
public struct Candle: Sendable, Hashable, Codable {
    public var market: Market
    public var symbol: String
    public var interval: CandleInterval
    public var openTime: Int64
    public var closeTime: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double
    public var quoteVolume: Double
    public var trades: Int64
    public var takerBuyVolume: Double
    public var takerBuyQuoteVolume: Double

    public init(
        market: Market, symbol: String, interval: CandleInterval, openTime: Int64, closeTime: Int64,
        open: Double, high: Double, low: Double, close: Double, volume: Double, quoteVolume: Double,
        trades: Int64, takerBuyVolume: Double, takerBuyQuoteVolume: Double
    ) {
        self.market = market
        self.symbol = symbol
        self.interval = interval
        self.openTime = openTime
        self.closeTime = closeTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.trades = trades
        self.takerBuyVolume = takerBuyVolume
        self.takerBuyQuoteVolume = takerBuyQuoteVolume
    }
}
