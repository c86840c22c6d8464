/// One stored candle with its prices and volumes as exact decimal text, as Binance printed
/// them (`"9.982"`, `"24464.35"`) and as PostgreSQL stores them (`numeric`, scale kept).
///
/// Times are Unix milliseconds (UTC); `closeTime` is `openTime + interval - 1`. Use this type
/// wherever the digits matter (storage, archives, export); `Candle` (Doubles) for analysis.
public struct CandleRow: Sendable, Hashable, Codable {
    public var market: Market
    public var symbol: String
    public var interval: CandleInterval
    public var openTime: Int64
    public var closeTime: Int64
    public var open: String
    public var high: String
    public var low: String
    public var close: String
    /// Base-asset volume.
    public var volume: String
    /// Quote-asset (USDT) volume.
    public var quoteVolume: String
    public var trades: Int64
    public var takerBuyVolume: String
    public var takerBuyQuoteVolume: String
    public var source: CandleSource

    public init(
        market: Market, symbol: String, interval: CandleInterval = .oneMinute, openTime: Int64, closeTime: Int64,
        open: String, high: String, low: String, close: String, volume: String, quoteVolume: String,
        trades: Int64, takerBuyVolume: String, takerBuyQuoteVolume: String, source: CandleSource
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
        self.source = source
    }

    /// A row from a `Candle`, its Doubles written in plain decimal notation (shortest form that
    /// reads back as the same Double, never exponent notation). Nil when a value is NaN or
    /// infinite.
    public init?(_ candle: Candle, source: CandleSource) {
        guard let open = DecimalText.format(candle.open), let high = DecimalText.format(candle.high),
              let low = DecimalText.format(candle.low), let close = DecimalText.format(candle.close),
              let volume = DecimalText.format(candle.volume), let quoteVolume = DecimalText.format(candle.quoteVolume),
              let takerBuyVolume = DecimalText.format(candle.takerBuyVolume),
              let takerBuyQuoteVolume = DecimalText.format(candle.takerBuyQuoteVolume)
        else { return nil }
        self.init(
            market: candle.market, symbol: candle.symbol, interval: candle.interval, openTime: candle.openTime,
            closeTime: candle.closeTime, open: open, high: high, low: low, close: close, volume: volume,
            quoteVolume: quoteVolume, trades: candle.trades, takerBuyVolume: takerBuyVolume,
            takerBuyQuoteVolume: takerBuyQuoteVolume, source: source)
    }

    /// The data.binance.vision CSV line for this candle (no line end).
    public var csvRow: String {
        KlineCSV.row(
            openTime: openTime, open: open, high: high, low: low, close: close, volume: volume, closeTime: closeTime,
            quoteVolume: quoteVolume, trades: trades, takerBuyVolume: takerBuyVolume, takerBuyQuoteVolume: takerBuyQuoteVolume)
    }

    /// Whether every decimal field is a plain decimal number (`-12.340`, `7`, `.5`).
    public var hasDecimalFields: Bool {
        DecimalText.isValid(open) && DecimalText.isValid(high) && DecimalText.isValid(low) && DecimalText.isValid(close)
            && DecimalText.isValid(volume) && DecimalText.isValid(quoteVolume) && DecimalText.isValid(takerBuyVolume)
            && DecimalText.isValid(takerBuyQuoteVolume)
    }
}

extension Candle {
    /// The row's values as Doubles (the nearest Double to each decimal). Nil when a field is
    /// not a number.
    public init?(_ row: CandleRow) {
        guard let open = Double(row.open), let high = Double(row.high), let low = Double(row.low),
              let close = Double(row.close), let volume = Double(row.volume), let quoteVolume = Double(row.quoteVolume),
              let takerBuyVolume = Double(row.takerBuyVolume), let takerBuyQuoteVolume = Double(row.takerBuyQuoteVolume)
        else { return nil }
        self.init(
            market: row.market, symbol: row.symbol, interval: row.interval, openTime: row.openTime, closeTime: row.closeTime,
            open: open, high: high, low: low, close: close, volume: volume, quoteVolume: quoteVolume, trades: row.trades,
            takerBuyVolume: takerBuyVolume, takerBuyQuoteVolume: takerBuyQuoteVolume)
    }
}
