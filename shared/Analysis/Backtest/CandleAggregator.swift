import Core

/// Builds higher-timeframe candles from one symbol's 1m candles, incrementally, handing out
/// only closed ones.
///
/// Buckets are UTC-aligned: a 1m candle belongs to the bucket starting at
/// `openTime - openTime % interval`. A bucket is emitted when the 1m candle of its last minute
/// arrives **and all of its 1m candles are present**, the same rule as the ingest's rollups
/// ("only for buckets whose 1m candles are all present"). A bucket with a missing minute is
/// never emitted, so a gap leaves a hole in the higher timeframe rather than a candle built
/// from partial data.
///
/// The rollup: open of the first minute, close of the last, highest high, lowest low, and the
/// sums of volume, quote volume, trades and taker-buy volumes; `closeTime` is the bucket's
/// start + interval − 1.
///
/// Feed 1m candles of one market and symbol, oldest first. A candle that does not open after
/// the previous one (duplicate or out of order) is ignored.
public struct CandleAggregator: Sendable {
    /// The intervals built, shortest first.
    public let intervals: [CandleInterval]
    private var partial: [Bucket?]
    private var lastOpenTime: Int64?

    private struct Bucket: Sendable {
        var candle: Candle
        var minutes: Int64
    }

    /// - Parameter intervals: higher timeframes to build (any of 5m … 1d; 1m is ignored).
    public init(intervals: [CandleInterval] = [.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours]) {
        self.intervals = Array(Set(intervals.filter { $0 != .oneMinute })).sorted()
        partial = Array(repeating: nil, count: self.intervals.count)
    }

    /// Adds the next 1m candle; returns the higher-timeframe candles it closes, shortest
    /// interval first (empty most of the time).
    public mutating func add(_ candle: Candle) -> [Candle] {
        precondition(candle.interval == .oneMinute, "CandleAggregator takes 1m candles")
        if let last = lastOpenTime {
            guard candle.openTime > last else { return [] }
        }
        lastOpenTime = candle.openTime
        var closed: [Candle] = []
        for (index, interval) in intervals.enumerated() {
            let length = interval.milliseconds
            let start = interval.bucketStart(candle.openTime)
            if var bucket = partial[index], bucket.candle.openTime == start {
                precondition(
                    bucket.candle.symbol == candle.symbol && bucket.candle.market == candle.market,
                    "CandleAggregator takes one market and symbol")
                bucket.candle.high = max(bucket.candle.high, candle.high)
                bucket.candle.low = min(bucket.candle.low, candle.low)
                bucket.candle.close = candle.close
                bucket.candle.volume += candle.volume
                bucket.candle.quoteVolume += candle.quoteVolume
                bucket.candle.trades += candle.trades
                bucket.candle.takerBuyVolume += candle.takerBuyVolume
                bucket.candle.takerBuyQuoteVolume += candle.takerBuyQuoteVolume
                bucket.minutes += 1
                partial[index] = bucket
            } else {
                var first = candle
                first.interval = interval
                first.openTime = start
                first.closeTime = start + length - 1
                partial[index] = Bucket(candle: first, minutes: 1)
            }
            // The bucket's last minute has arrived: emit it if complete, drop it either way.
            if candle.openTime + CandleInterval.oneMinute.milliseconds == start + length {
                if let bucket = partial[index], bucket.minutes == length / CandleInterval.oneMinute.milliseconds {
                    closed.append(bucket.candle)
                }
                partial[index] = nil
            }
        }
        return closed
    }
}
