import Core

extension Indicators {
    /// On-Balance Volume (TA-Lib `OBV`): starts at `volume[0]`, then adds the volume of a bar
    /// that closes higher than the previous one and subtracts that of one that closes lower.
    public static func obv(close: [Double], volume: [Double]) -> [Double] {
        checkSameLength(close.count, volume.count)
        var out = [Double]()
        out.reserveCapacity(close.count)
        guard !close.isEmpty else { return out }
        var total = volume[0]
        out.append(total)
        var i = 1
        while i < close.count {
            if close[i] > close[i - 1] {
                total += volume[i]
            } else if close[i] < close[i - 1] {
                total -= volume[i]
            }
            out.append(total)
            i += 1
        }
        return out
    }

    /// ``obv(close:volume:)`` over candles, oldest first.
    public static func obv(_ candles: [Candle]) -> [Double] {
        let columns = CandleColumns(candles)
        return obv(close: columns.close, volume: columns.volume)
    }
}
