import Core

/// Everything a head may look at for one symbol at one moment.
///
/// `candles` holds closed candles only, oldest first, per timeframe (1m plus whichever derived
/// timeframes are available). The moment of analysis is the close of the last 1m candle;
/// nothing after it is ever included, which is what keeps backtests free of look-ahead.
public struct AnalysisInput: Sendable {
    public var symbol: String
    public var market: Market
    public var candles: [CandleInterval: [Candle]]
    /// Futures-only data, when known. Nil fields mean "not available", never zero.
    public var derivatives: Derivatives?
    /// An external fear-and-greed index reading, 0 (extreme fear) ... 100 (extreme greed).
    public var fearGreed: Double?

    public init(
        symbol: String, market: Market, candles: [CandleInterval: [Candle]],
        derivatives: Derivatives? = nil, fearGreed: Double? = nil
    ) {
        self.symbol = symbol
        self.market = market
        self.candles = candles
        self.derivatives = derivatives
        self.fearGreed = fearGreed
    }

    /// Closed candles of one timeframe, oldest first (empty when absent).
    public func candles(_ interval: CandleInterval) -> [Candle] { candles[interval] ?? [] }

    /// Close time (Unix ms) of the newest 1m candle: the moment of the analysis.
    public var time: Int64? { candles[.oneMinute]?.last?.closeTime }
}

/// A value observed at a time (Unix ms).
public struct TimedValue: Sendable, Hashable, Codable {
    public var time: Int64
    public var value: Double
    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }
}

/// Futures positioning and pricing data, as far as it is known at the moment of analysis.
public struct Derivatives: Sendable, Hashable, Codable {
    /// Funding rates, oldest first; the last is the current (predicted) rate, as a fraction
    /// per funding period (0.0001 = 0.01 %).
    public var funding: [TimedValue]
    /// Mark price premium over the index, as a fraction ((mark - index) / index), oldest first.
    public var premium: [TimedValue]
    /// Open interest in base-asset units, oldest first.
    public var openInterest: [TimedValue]
    /// Global long/short account ratio (longs / shorts), oldest first.
    public var longShortRatio: [TimedValue]

    public init(
        funding: [TimedValue] = [], premium: [TimedValue] = [],
        openInterest: [TimedValue] = [], longShortRatio: [TimedValue] = []
    ) {
        self.funding = funding
        self.premium = premium
        self.openInterest = openInterest
        self.longShortRatio = longShortRatio
    }
}
