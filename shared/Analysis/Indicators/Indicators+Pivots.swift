import Core

extension Indicators {
    /// Pivot levels for the UTC day of the last candle, from the previous UTC day's high, low
    /// and close (by `openTime`). Uses whichever candles of that day are present; nil when
    /// there are none.
    public static func previousDayPivots(_ candles: [Candle], method: PivotLevels.Method = .classic) -> PivotLevels? {
        guard let last = candles.last else { return nil }
        let previousDay = utcDay(last.openTime) - 1
        var high = -Double.infinity
        var low = Double.infinity
        var close = Double.nan
        // Walk back from the newest candle: the previous day is at the end of the array.
        for candle in candles.reversed() {
            let day = utcDay(candle.openTime)
            if day > previousDay { continue }
            if day < previousDay { break }
            if close.isNaN { close = candle.close }
            high = max(high, candle.high)
            low = min(low, candle.low)
        }
        guard !close.isNaN else { return nil }
        return PivotLevels(high: high, low: low, close: close, method: method)
    }
}
