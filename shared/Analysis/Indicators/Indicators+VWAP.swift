import Core

extension Indicators {
    /// Milliseconds in a UTC day, the VWAP session length.
    static let dayMilliseconds: Int64 = 86_400_000

    /// Session VWAP: the volume-weighted mean of the typical price `(high + low + close) / 3`
    /// since the start of the candle's UTC day, reset at each UTC midnight (by `openTime`,
    /// Unix ms). NaN while the session has traded no volume.
    public static func vwap(
        high: [Double], low: [Double], close: [Double], volume: [Double], openTime: [Int64]
    ) -> [Double] {
        checkSameLength(high.count, low.count, close.count, volume.count)
        checkSameLength(close.count, openTime.count)
        var out = [Double]()
        out.reserveCapacity(close.count)
        var session = Int64.min
        var priceVolume = 0.0
        var totalVolume = 0.0
        for i in 0..<close.count {
            let day = utcDay(openTime[i])
            if day != session {
                session = day
                priceVolume = 0
                totalVolume = 0
            }
            priceVolume += (high[i] + low[i] + close[i]) / 3 * volume[i]
            totalVolume += volume[i]
            out.append(totalVolume > 0 ? priceVolume / totalVolume : .nan)
        }
        return out
    }

    /// Session VWAP over candles, oldest first; see ``vwap(high:low:close:volume:openTime:)``.
    public static func vwap(_ candles: [Candle]) -> [Double] {
        let c = CandleColumns(candles)
        return vwap(high: c.high, low: c.low, close: c.close, volume: c.volume, openTime: c.openTime)
    }

    /// Rolling VWAP of the typical price over the last `period` candles. The first value is at
    /// index `period - 1`; a window without volume is NaN.
    public static func rollingVWAP(
        high: [Double], low: [Double], close: [Double], volume: [Double], period: Int
    ) -> [Double] {
        precondition(period >= 1, "VWAP period must be at least 1")
        checkSameLength(high.count, low.count, close.count, volume.count)
        var out = nanSeries(close.count)
        var priceVolume = 0.0
        var totalVolume = 0.0
        // Counting the bars with volume keeps an all-zero window exact despite running sums.
        var tradedBars = 0
        for i in 0..<close.count {
            priceVolume += (high[i] + low[i] + close[i]) / 3 * volume[i]
            totalVolume += volume[i]
            if volume[i] != 0 { tradedBars += 1 }
            if i >= period {
                let old = i - period
                priceVolume -= (high[old] + low[old] + close[old]) / 3 * volume[old]
                totalVolume -= volume[old]
                if volume[old] != 0 { tradedBars -= 1 }
            }
            if i >= period - 1 {
                out[i] = tradedBars > 0 && totalVolume > 0 ? priceVolume / totalVolume : .nan
            }
        }
        return out
    }

    /// Rolling VWAP over candles, oldest first; see ``rollingVWAP(high:low:close:volume:period:)``.
    public static func rollingVWAP(_ candles: [Candle], period: Int) -> [Double] {
        let c = CandleColumns(candles)
        return rollingVWAP(high: c.high, low: c.low, close: c.close, volume: c.volume, period: period)
    }

    /// The UTC day number of a Unix-ms time (floor division, also before 1970).
    @inline(__always)
    static func utcDay(_ time: Int64) -> Int64 {
        let day = time / dayMilliseconds
        return time % dayMilliseconds < 0 ? day - 1 : day
    }
}
