extension Indicators {
    /// Simple moving average of the last `period` values (TA-Lib `SMA`).
    ///
    /// The first value is at index `period - 1`. A running sum is kept, as TA-Lib does, so the
    /// result matches TA-Lib bit for bit and ``SMA`` fed one value at a time.
    public static func sma(_ values: [Double], period: Int) -> [Double] {
        precondition(period >= 1, "SMA period must be at least 1")
        var out = nanSeries(values.count)
        smaKernel(values, from: 0, period: period, into: &out)
        return out
    }

    /// Exponential moving average with k = 2 / (period + 1) (TA-Lib `EMA`).
    ///
    /// Seeded as TA-Lib does: the value at index `period - 1` is the SMA of the first `period`
    /// values; each later value is `(x - previous) * k + previous`.
    public static func ema(_ values: [Double], period: Int) -> [Double] {
        precondition(period >= 1, "EMA period must be at least 1")
        var out = nanSeries(values.count)
        emaKernel(values, period: period, seedEnd: period - 1, into: &out)
        return out
    }

    /// TA-Lib's running-sum SMA over `values[first...]`, written from `first + period - 1` on.
    static func smaKernel(_ values: [Double], from first: Int, period: Int, into out: inout [Double]) {
        let start = first + period - 1
        guard start < values.count else { return }
        let divisor = Double(period)
        var total = 0.0
        for i in first..<start { total += values[i] }
        var trailing = first
        for i in start..<values.count {
            total += values[i]
            out[i] = total / divisor
            total -= values[trailing]
            trailing += 1
        }
    }

    /// TA-Lib's EMA seeded at `seedEnd` with the mean of the `period` values ending there,
    /// written from `seedEnd` on. MACD seeds its fast EMA late this way.
    static func emaKernel(_ values: [Double], period: Int, seedEnd: Int, into out: inout [Double]) {
        guard seedEnd < values.count else { return }
        let k = smoothing(period)
        var total = 0.0
        for i in (seedEnd - period + 1)...seedEnd { total += values[i] }
        var previous = total / Double(period)
        out[seedEnd] = previous
        var i = seedEnd + 1
        while i < values.count {
            previous = ((values[i] - previous) * k) + previous
            out[i] = previous
            i += 1
        }
    }
}
