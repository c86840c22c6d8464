extension Indicators {
    /// Relative Strength Index, 0...100, with Wilder's smoothing (TA-Lib `RSI`).
    ///
    /// The first value is at index `period`: the average gain and loss of the first `period`
    /// changes; later averages are `(previous * (period - 1) + change) / period`. A window with
    /// no change at all reads 50 (TA-Lib reports 0, which would look like an extreme).
    public static func rsi(_ values: [Double], period: Int = 14) -> [Double] {
        precondition(period >= 2, "RSI period must be at least 2")
        var out = nanSeries(values.count)
        guard values.count > period else { return out }
        let length = Double(period)
        var gain = 0.0
        var loss = 0.0
        for i in 1...period {
            let change = values[i] - values[i - 1]
            if change < 0 { loss -= change } else { gain += change }
        }
        gain /= length
        loss /= length
        out[period] = rsiValue(gain: gain, loss: loss)
        var i = period + 1
        while i < values.count {
            let change = values[i] - values[i - 1]
            loss *= length - 1
            gain *= length - 1
            if change < 0 { loss -= change } else { gain += change }
            loss /= length
            gain /= length
            out[i] = rsiValue(gain: gain, loss: loss)
            i += 1
        }
        return out
    }

    @inline(__always)
    static func rsiValue(gain: Double, loss: Double) -> Double {
        let total = gain + loss
        return total != 0 ? 100.0 * (gain / total) : 50
    }
}
