import Core

extension Indicators {
    /// True range, `max(high - low, |high - previous close|, |low - previous close|)` (TA-Lib
    /// `TRANGE`). Index 0 has no previous close and is NaN.
    public static func trueRange(high: [Double], low: [Double], close: [Double]) -> [Double] {
        checkSameLength(high.count, low.count, close.count)
        var out = nanSeries(close.count)
        var i = 1
        while i < close.count {
            out[i] = trueRange(high: high[i], low: low[i], previousClose: close[i - 1])
            i += 1
        }
        return out
    }

    /// Average True Range with Wilder's smoothing (TA-Lib `ATR`).
    ///
    /// True range starts at index 1; the first ATR, at index `period`, is the SMA of the true
    /// ranges 1...period, and later values are `(previous * (period - 1) + tr) / period`.
    /// Matches ``ATR`` fed one candle at a time.
    public static func atr(high: [Double], low: [Double], close: [Double], period: Int = 14) -> [Double] {
        precondition(period >= 1, "ATR period must be at least 1")
        checkSameLength(high.count, low.count, close.count)
        var out = nanSeries(close.count)
        guard close.count > period else { return out }
        let length = Double(period)
        var total = 0.0
        for i in 1...period {
            total += trueRange(high: high[i], low: low[i], previousClose: close[i - 1])
        }
        var previous = total / length
        out[period] = previous
        var i = period + 1
        while i < close.count {
            previous *= length - 1
            previous += trueRange(high: high[i], low: low[i], previousClose: close[i - 1])
            previous /= length
            out[i] = previous
            i += 1
        }
        return out
    }

    /// ``atr(high:low:close:period:)`` over candles, oldest first.
    public static func atr(_ candles: [Candle], period: Int = 14) -> [Double] {
        let columns = CandleColumns(candles)
        return atr(high: columns.high, low: columns.low, close: columns.close, period: period)
    }

    @inline(__always)
    static func trueRange(high: Double, low: Double, previousClose: Double) -> Double {
        var range = high - low
        let up = abs(high - previousClose)
        if up > range { range = up }
        let down = abs(low - previousClose)
        if down > range { range = down }
        return range
    }
}
