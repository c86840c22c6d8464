import Core

/// One analysis: every head's vote on an input, and their consensus. The live service and the
/// backtest both call this, so they decide identically on identical data.
public struct Analyzer: Sendable {
    public var heads: [any Head]
    public var rules: ConsensusRules

    public init(heads: [any Head] = Heads.all(), rules: ConsensusRules = ConsensusRules()) {
        self.heads = heads
        self.rules = rules
    }

    /// Evaluates each head in order and combines the votes.
    public func analyze(_ input: AnalysisInput) -> Consensus {
        var votes: [Vote] = []
        votes.reserveCapacity(heads.count)
        for head in heads { votes.append(head.evaluate(input)) }
        return Consensus(votes: votes, rules: rules)
    }
}

/// The ATR a signal's stop is sized from: a Wilder ATR of one timeframe's candles.
public struct StopATR: Sendable, Hashable {
    public var interval: CandleInterval
    public var period: Int

    public init(interval: CandleInterval = .fifteenMinutes, period: Int = 14) {
        precondition(period >= 1, "the ATR period must be at least 1")
        self.interval = interval
        self.period = period
    }

    /// The ATR in price units over the last candles of `interval`, or NaN with fewer than
    /// `period + 1` candles. Uses at most the last `10 × period` candles, so the value depends
    /// on recent data only (Wilder smoothing forgets the seed within a few periods).
    public func callAsFunction(_ input: AnalysisInput) -> Double {
        let candles = input.candles(interval)
        guard candles.count > period else { return .nan }
        let window = Array(candles.suffix(10 * period))
        return Indicators.atr(window, period: period).last ?? .nan
    }
}

extension AnalysisInput {
    /// The input at the close of the newest of `oneMinute` (closed 1m candles of one symbol,
    /// oldest first): the last `oneMinuteWindow` 1m candles and, per higher timeframe, the last
    /// `higherWindow` candles derived from them — complete buckets only, exactly as the
    /// backtest derives them.
    public static func derived(
        from oneMinute: [Candle], symbol: String, market: Market, oneMinuteWindow: Int = AnalysisWindows.standard.oneMinute,
        higherWindow: Int = AnalysisWindows.standard.higher, intervals: [CandleInterval] = AnalysisWindows.standard.higherIntervals,
        derivatives: Derivatives? = nil, fearGreed: Double? = nil
    ) -> AnalysisInput {
        var aggregator = CandleAggregator(intervals: intervals)
        var higher: [CandleInterval: [Candle]] = [:]
        for candle in oneMinute {
            for closed in aggregator.add(candle) { higher[closed.interval, default: []].append(closed) }
        }
        var candles: [CandleInterval: [Candle]] = [.oneMinute: Array(oneMinute.suffix(oneMinuteWindow))]
        for interval in intervals { candles[interval] = Array((higher[interval] ?? []).suffix(higherWindow)) }
        return AnalysisInput(symbol: symbol, market: market, candles: candles, derivatives: derivatives, fearGreed: fearGreed)
    }
}
