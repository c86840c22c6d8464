import Core

/// A closed 1m kline as the `candles` stream carries it (see `IngestKeys`): exact decimal text.
public struct StreamCandle: Sendable, Hashable {
    public var market: Market
    public var symbol: String
    public var openTime: Int64
    public var closeTime: Int64
    public var open: String
    public var high: String
    public var low: String
    public var close: String
    public var volume: String
    public var quoteVolume: String
    public var trades: Int64
    public var takerBuyVolume: String
    public var takerBuyQuoteVolume: String
    /// `ws` or `backfill`.
    public var source: String

    /// Decodes stream fields; nil when a field is missing or not of its type (the entry is
    /// then acknowledged and counted as dropped — it can never become valid).
    public init?(fields: [(name: String, value: String)]) {
        var values: [String: String] = [:]
        for field in fields { values[field.name] = field.value }
        guard let marketText = values["m"], let market = Market(rawValue: marketText), let symbol = values["s"], !symbol.isEmpty,
              let openTime = values["t"].flatMap({ Int64($0) }), let closeTime = values["T"].flatMap({ Int64($0) }),
              let open = values["o"], let high = values["h"], let low = values["l"], let close = values["c"],
              let volume = values["v"], let quoteVolume = values["q"], let trades = values["n"].flatMap({ Int64($0) }),
              let takerBuyVolume = values["V"], let takerBuyQuoteVolume = values["Q"]
        else { return nil }
        for text in [open, high, low, close, volume, quoteVolume, takerBuyVolume, takerBuyQuoteVolume] where Double(text) == nil {
            return nil
        }
        self.market = market
        self.symbol = symbol
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
        self.source = values["src"] == "backfill" ? "backfill" : "ws"
    }
}
