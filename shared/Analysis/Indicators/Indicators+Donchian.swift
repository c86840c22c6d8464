import Core

extension Indicators {
    /// Donchian channel, index-aligned with the input.
    public struct DonchianSeries: Sendable, Hashable {
        /// Highest high of the window.
        public var upper: [Double]
        /// `(upper + lower) / 2`.
        public var middle: [Double]
        /// Lowest low of the window.
        public var lower: [Double]
    }

    /// Donchian channel over the last `period` bars, the current bar included (TA-Lib
    /// `MAX(high)` / `MIN(low)`); the first values are at index `period - 1`. For a breakout
    /// test compare a close with the previous bar's channel (`upper[i - 1]`).
    public static func donchian(high: [Double], low: [Double], period: Int = 20) -> DonchianSeries {
        checkSameLength(high.count, low.count)
        let upper = highest(high, period: period)
        let lower = lowest(low, period: period)
        var middle = nanSeries(high.count)
        for i in 0..<high.count where !upper[i].isNaN {
            middle[i] = (upper[i] + lower[i]) / 2
        }
        return DonchianSeries(upper: upper, middle: middle, lower: lower)
    }

    /// ``donchian(high:low:period:)`` over candles, oldest first.
    public static func donchian(_ candles: [Candle], period: Int = 20) -> DonchianSeries {
        let c = CandleColumns(candles)
        return donchian(high: c.high, low: c.low, period: period)
    }
}
