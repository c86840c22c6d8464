import Core

extension Indicators {
    /// Wilder's directional movement lines, 0...100, index-aligned with the input.
    public struct ADXSeries: Sendable, Hashable {
        /// Average Directional Index, from index `2 * period - 1`.
        public var adx: [Double]
        /// +DI, from index `period`.
        public var plusDI: [Double]
        /// −DI, from index `period`.
        public var minusDI: [Double]
    }

    /// +DI, −DI and ADX with Wilder's smoothing (TA-Lib `PLUS_DI`, `MINUS_DI`, `ADX`).
    ///
    /// As in TA-Lib, +DM, −DM and TR are smoothed as running sums: the first is the plain sum of
    /// bars 1...period−1, then each bar applies `sum − sum / period + today` (so the first DI,
    /// at index `period`, already includes one smoothing step). The first ADX is the mean of
    /// the DX of bars period...2·period−1; later ADX values are Wilder averages of DX. A bar
    /// whose DX is undefined (no range, or no directional movement) leaves ADX unchanged.
    public static func adx(high: [Double], low: [Double], close: [Double], period: Int = 14) -> ADXSeries {
        precondition(period >= 2, "ADX period must be at least 2")
        checkSameLength(high.count, low.count, close.count)
        let count = close.count
        var adx = nanSeries(count)
        var plusDI = nanSeries(count)
        var minusDI = nanSeries(count)
        guard count > period else { return ADXSeries(adx: adx, plusDI: plusDI, minusDI: minusDI) }
        let length = Double(period)
        var plusDM = 0.0
        var minusDM = 0.0
        var range = 0.0
        var sumDX = 0.0
        var average = 0.0
        for today in 1..<count {
            let upMove = high[today] - high[today - 1]
            let downMove = low[today - 1] - low[today]
            if today >= period {
                plusDM -= plusDM / length
                minusDM -= minusDM / length
            }
            if downMove > 0 && upMove < downMove {
                minusDM += downMove
            } else if upMove > 0 && upMove > downMove {
                plusDM += upMove
            }
            let tr = trueRange(high: high[today], low: low[today], previousClose: close[today - 1])
            range = today >= period ? range - range / length + tr : range + tr
            guard today >= period else { continue }

            var dx = Double.nan
            if range != 0 {
                let minus = 100.0 * (minusDM / range)
                let plus = 100.0 * (plusDM / range)
                plusDI[today] = plus
                minusDI[today] = minus
                let sum = minus + plus
                if sum != 0 { dx = 100.0 * (abs(minus - plus) / sum) }
            } else {
                plusDI[today] = 0
                minusDI[today] = 0
            }
            if today < 2 * period - 1 {
                if !dx.isNaN { sumDX += dx }
            } else if today == 2 * period - 1 {
                if !dx.isNaN { sumDX += dx }
                average = sumDX / length
                adx[today] = average
            } else {
                if !dx.isNaN { average = (average * (length - 1) + dx) / length }
                adx[today] = average
            }
        }
        return ADXSeries(adx: adx, plusDI: plusDI, minusDI: minusDI)
    }

    /// ``adx(high:low:close:period:)`` over candles, oldest first.
    public static func adx(_ candles: [Candle], period: Int = 14) -> ADXSeries {
        let c = CandleColumns(candles)
        return adx(high: c.high, low: c.low, close: c.close, period: period)
    }
}
