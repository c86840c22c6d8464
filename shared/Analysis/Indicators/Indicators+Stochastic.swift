import Core

extension Indicators {
    /// The slow stochastic's two lines, 0...100, index-aligned with the input.
    public struct StochasticSeries: Sendable, Hashable {
        /// Slow %K: the SMA of fast %K over `slowK` bars.
        public var k: [Double]
        /// Slow %D: the SMA of slow %K over `slowD` bars.
        public var d: [Double]
    }

    /// Slow stochastic oscillator (TA-Lib `STOCH` with SMA smoothing; defaults 14, 3, 3).
    ///
    /// Fast %K = 100 × (close − lowest low) / (highest high − lowest low) over `fastK` bars,
    /// from index `fastK - 1`. As in TA-Lib, both lines start at `fastK + slowK + slowD - 3`
    /// (17 for the defaults), so %K is NaN for two bars where it could be known. A window with
    /// no range reads 50 (TA-Lib reports 0, which would look like an extreme).
    public static func stochastic(
        high: [Double], low: [Double], close: [Double], fastK: Int = 14, slowK: Int = 3, slowD: Int = 3
    ) -> StochasticSeries {
        precondition(fastK >= 1 && slowK >= 1 && slowD >= 1, "stochastic periods must be at least 1")
        checkSameLength(high.count, low.count, close.count)
        let count = close.count
        let highs = highest(high, period: fastK)
        let lows = lowest(low, period: fastK)
        var fast = nanSeries(count)
        if fastK - 1 < count {
            for i in (fastK - 1)..<count {
                // TA-Lib's order of operations: divide the range by 100 first.
                let range = (highs[i] - lows[i]) / 100.0
                fast[i] = range != 0 ? (close[i] - lows[i]) / range : 50
            }
        }
        var k = nanSeries(count)
        smaKernel(fast, from: fastK - 1, period: slowK, into: &k)
        // `fast` is no longer needed: it becomes %D.
        for i in 0..<count { fast[i] = .nan }
        smaKernel(k, from: fastK + slowK - 2, period: slowD, into: &fast)
        let start = fastK + slowK + slowD - 3
        for i in 0..<min(start, count) { k[i] = .nan }
        return StochasticSeries(k: k, d: fast)
    }

    /// ``stochastic(high:low:close:fastK:slowK:slowD:)`` over candles, oldest first.
    public static func stochastic(_ candles: [Candle], fastK: Int = 14, slowK: Int = 3, slowD: Int = 3) -> StochasticSeries {
        let c = CandleColumns(candles)
        return stochastic(high: c.high, low: c.low, close: c.close, fastK: fastK, slowK: slowK, slowD: slowD)
    }
}
