import Core

/// How much history one analysis reads: the newest `oneMinute` closed 1m candles and, per
/// higher timeframe, the newest `higher` complete candles. The backtest, the live service and
/// ingest's history backfill all take their windows from here, so what a head can look at
/// live is what it looks at in a backtest, and ingest fetches exactly that much.
public struct AnalysisWindows: Sendable, Hashable {
    /// 1m candles in each input, newest last.
    public var oneMinute: Int
    /// Closed candles per higher timeframe in each input: enough for an EMA(200) with history
    /// behind it (the technical head's longest lookback).
    public var higher: Int
    /// The higher timeframes, shortest first.
    public var higherIntervals: [CandleInterval]

    public init(oneMinute: Int = 500, higher: Int = 300, higherIntervals: [CandleInterval] = [.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours]) {
        precondition(oneMinute >= 1 && higher >= 1, "windows hold at least one candle")
        self.oneMinute = oneMinute
        self.higher = higher
        self.higherIntervals = higherIntervals
    }

    /// The windows every service uses unless configured otherwise.
    public static let standard = AnalysisWindows()

    /// Candles per interval a symbol needs stored for a full input, 1m first.
    public var depth: [(interval: CandleInterval, count: Int)] {
        [(.oneMinute, oneMinute)] + higherIntervals.map { ($0, higher) }
    }
}
