import Core

/// What a ``Backtester`` run covers and how much history each analysis sees.
public struct BacktestOptions: Sendable, Hashable {
    /// Analyse only 1m candles with `from <= closeTime < to` (Unix ms; nil = unbounded).
    /// Earlier candles still warm the windows up; later ones still resolve open signals.
    public var from: Int64?
    public var to: Int64?
    /// 1m candles in each analysis input, newest last. Default 500 (``AnalysisWindows``).
    public var oneMinuteWindow: Int
    /// Closed candles per higher timeframe in each analysis input. Default 300, enough for an
    /// EMA(200) with history behind it.
    public var higherWindow: Int
    /// Higher timeframes built from the 1m candles. Default 5m, 15m, 1h, 4h.
    public var higherIntervals: [CandleInterval]
    /// Analyse every `stepMinutes` minutes: at 1m candles whose close ends a UTC-aligned
    /// `stepMinutes` block (`(closeTime + 1) % (stepMinutes × 60 000) == 0`), so a step of 5
    /// analyses exactly when each 5m candle closes. Default 1 (every candle).
    public var stepMinutes: Int
    /// Fewest 1m candles a symbol must have seen before it is analysed. Default 500.
    public var minimumHistory: Int
    /// Analyse exactly these moments (open times of 1m candles) instead of every
    /// `stepMinutes`: the moments a live run recorded in `analyses`, so a backtest can replay
    /// it. Nil: every step.
    public var moments: Set<Int64>?
    /// Per analysed moment (1m open time), the newest sample of each derivatives series the
    /// analysis may see (``DerivativesHistory/at(_:windows:knownUntil:)``): a live run's
    /// recorded inputs, so samples stored after it analysed are left out. Nil: all known.
    public var derivativesKnown: [Int64: [DerivativeSeries: Int64]]?
    /// How much derivatives history each input sees (``DerivativesWindows/standard``).
    public var derivatives: DerivativesWindows = .standard
    /// Seed of the random baseline.
    public var baselineSeed: UInt64
    /// Score every head's directional votes (``BacktestReport/HeadScore``). Costs a little
    /// time per candle; off leaves the head scores at zero.
    public var scoreHeads: Bool

    public init(
        from: Int64? = nil, to: Int64? = nil, oneMinuteWindow: Int = AnalysisWindows.standard.oneMinute,
        higherWindow: Int = AnalysisWindows.standard.higher, higherIntervals: [CandleInterval] = AnalysisWindows.standard.higherIntervals,
        stepMinutes: Int = 1, minimumHistory: Int = 500, baselineSeed: UInt64 = 0x5EED, scoreHeads: Bool = true
    ) {
        precondition(oneMinuteWindow >= 1 && higherWindow >= 1, "windows hold at least one candle")
        precondition(stepMinutes >= 1, "stepMinutes must be at least 1")
        precondition(minimumHistory >= 0, "minimumHistory must not be negative")
        self.from = from
        self.to = to
        self.oneMinuteWindow = oneMinuteWindow
        self.higherWindow = higherWindow
        self.higherIntervals = higherIntervals
        self.stepMinutes = stepMinutes
        self.minimumHistory = minimumHistory
        self.baselineSeed = baselineSeed
        self.scoreHeads = scoreHeads
    }
}
