extension Indicators {
    /// The three lines of MACD, index-aligned with the input.
    public struct MACDSeries: Sendable, Hashable {
        /// Fast EMA minus slow EMA.
        public var macd: [Double]
        /// EMA of `macd` over the signal period.
        public var signal: [Double]
        /// `macd - signal`.
        public var histogram: [Double]
    }

    /// Moving Average Convergence/Divergence with TA-Lib's seeding and alignment (TA-Lib `MACD`).
    ///
    /// TA-Lib does not take the difference of two independently seeded EMAs: both EMAs start at
    /// index `slow - 1`, the slow one seeded with the SMA of values `0...slow-1` and the fast one
    /// with the SMA of the `fast` values ending at `slow - 1`. The signal EMA is seeded with the
    /// SMA of the first `signal` MACD values. All three lines start at `slow + signal - 2`
    /// (33 for 12/26/9); MACD is NaN before that too, as in TA-Lib.
    public static func macd(_ values: [Double], fast: Int = 12, slow: Int = 26, signal: Int = 9) -> MACDSeries {
        precondition(fast >= 1 && slow > fast && signal >= 1, "MACD needs 1 <= fast < slow and signal >= 1")
        let count = values.count
        let first = slow - 1
        let start = first + signal - 1
        var line = nanSeries(count)
        var slowEMA = nanSeries(count)
        emaKernel(values, period: slow, seedEnd: first, into: &slowEMA)
        emaKernel(values, period: fast, seedEnd: first, into: &line)
        if first < count {
            for i in first..<count { line[i] -= slowEMA[i] }
        }
        var signalLine = nanSeries(count)
        emaKernel(line, period: signal, seedEnd: start, into: &signalLine)
        // Reuse the slow EMA's storage for the histogram.
        var histogram = slowEMA
        for i in 0..<min(start, count) {
            line[i] = .nan
            histogram[i] = .nan
        }
        if start < count {
            for i in start..<count { histogram[i] = line[i] - signalLine[i] }
        }
        return MACDSeries(macd: line, signal: signalLine, histogram: histogram)
    }
}
