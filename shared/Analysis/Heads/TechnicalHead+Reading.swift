import Core

extension TechnicalHead {
    /// The indicator values of one timeframe at its last candle.
    struct Reading: Sendable {
        var close = Double.nan
        var atr = Double.nan
        var fast = Double.nan
        var mid = Double.nan
        /// NaN when the timeframe is shorter than the slow period.
        var slow = Double.nan
        /// Bars since the last EMA fast/mid cross (-1: none in the window).
        var fastMidCrossAge = -1
        var fastMidCrossUp = false
        /// Bars since the last EMA mid/slow (golden/death) cross (-1: none).
        var midSlowCrossAge = -1
        var midSlowCrossUp = false
        /// Whether a cross came within `crossLookback` bars of the one before it (a whipsaw).
        var fastMidWhipsaw = false
        var midSlowWhipsaw = false
        /// The current EMA gaps, fast − mid and mid − slow.
        var fastMidGap = Double.nan
        var midSlowGap = Double.nan
        var rsi = Double.nan
        var macd = Double.nan
        var histogram = Double.nan
        var previousHistogram = Double.nan
        /// Bars since MACD last crossed its signal line (-1: none).
        var signalCrossAge = -1
        var signalCrossUp = false
        var upper = Double.nan
        var lower = Double.nan
        var squeeze = false
        var expanding = false
    }

    /// All indicators of one timeframe in one pass over its last ``window`` candles.
    func read(_ candles: [Candle]) -> Reading {
        let count = candles.count
        let start = max(0, count - window)
        let last = count - 1
        var fastEMA = Indicators.EMA(period: fastPeriod)
        var midEMA = Indicators.EMA(period: midPeriod)
        var slowEMA = Indicators.EMA(period: slowPeriod)
        // Wilder averages of gains, losses and true ranges: RSI and ATR14 at the last bar.
        var gains = WilderAverage(period: rsiPeriod)
        var losses = WilderAverage(period: rsiPeriod)
        var ranges = WilderAverage(period: 14)
        var macdFastEMA = Indicators.EMA(period: macdFast)
        var macdSlowEMA = Indicators.EMA(period: macdSlow)
        var signalEMA = Indicators.EMA(period: macdSignal)
        var r = Reading()
        var fastMid = Double.nan
        var midSlow = Double.nan
        let oscillatorStart = max(start, last - 120)
        let macdStart = max(start, last - 150)
        // Rolling Bollinger sums over the last bars, around a close so large prices keep their
        // precision.
        let period = bollingerPeriod
        let bandStart = max(start, last - period - 6)
        let reference = candles[bandStart].close
        let length = Double(period)
        var sum = 0.0
        var squares = 0.0
        var earlierBandwidth = Double.nan

        for i in start...last {
            let x = candles[i].close
            let f = fastEMA.update(x)
            let m = midEMA.update(x)
            let s = slowEMA.update(x)
            // Wilder's RSI and ATR forget their seed within a few dozen bars; running them over
            // the whole window would only cost time.
            if i > oscillatorStart {
                let previous = candles[i - 1].close
                let change = x - previous
                gains.update(change > 0 ? change : 0)
                losses.update(change < 0 ? -change : 0)
                ranges.update(max(candles[i].high, previous) - min(candles[i].low, previous))
            }

            if !m.isNaN {
                let d = f - m
                if !fastMid.isNaN && (d > 0) != (fastMid > 0) {
                    r.fastMidWhipsaw = r.fastMidCrossAge >= 0 && r.fastMidCrossAge - (last - i) <= crossLookback
                    r.fastMidCrossAge = last - i
                    r.fastMidCrossUp = d > 0
                }
                fastMid = d
            }
            if !s.isNaN {
                let d = m - s
                if !midSlow.isNaN && (d > 0) != (midSlow > 0) {
                    r.midSlowWhipsaw = r.midSlowCrossAge >= 0 && r.midSlowCrossAge - (last - i) <= crossLookback
                    r.midSlowCrossAge = last - i
                    r.midSlowCrossUp = d > 0
                }
                midSlow = d
            }

            guard i >= macdStart else { continue }
            let macdFastValue = macdFastEMA.update(x)
            let macdSlowValue = macdSlowEMA.update(x)
            if !macdSlowValue.isNaN {
                let line = macdFastValue - macdSlowValue
                let signal = signalEMA.update(line)
                if !signal.isNaN {
                    let h = line - signal
                    if !r.histogram.isNaN && (h > 0) != (r.histogram > 0) {
                        r.signalCrossAge = last - i
                        r.signalCrossUp = h > 0
                    }
                    r.previousHistogram = r.histogram
                    r.histogram = h
                    r.macd = line
                }
            }

            guard i >= bandStart else { continue }
            let y = x - reference
            sum += y
            squares += y * y
            if i - bandStart >= period {
                let old = candles[i - period].close - reference
                sum -= old
                squares -= old * old
            }
            if i - bandStart >= period - 1, i >= last - 5 {
                let mean = sum / length
                let sigma = max(0, squares / length - mean * mean).squareRoot()
                let middle = mean + reference
                let bandwidth = middle != 0 ? 2 * bollingerDeviations * sigma / abs(middle) : .nan
                if i == last - 5 { earlierBandwidth = bandwidth }
                if i == last {
                    r.upper = middle + bollingerDeviations * sigma
                    r.lower = middle - bollingerDeviations * sigma
                    r.expanding = bandwidth > 1.2 * earlierBandwidth
                    r.squeeze = bollingerDeviations * sigma < keltnerMultiple * ranges.value
                }
            }
        }
        r.close = candles[last].close
        r.atr = ranges.value
        r.fast = fastEMA.value
        r.mid = midEMA.value
        r.slow = slowEMA.value
        let movement = gains.value + losses.value
        r.rsi = movement.isNaN ? .nan : (movement > 0 ? 100 * gains.value / movement : 50)
        r.fastMidGap = fastMid
        r.midSlowGap = midSlow
        return r
    }

    /// Wilder's smoothing: the mean of the first `period` values, then
    /// `value += (x − value) / period` — TA-Lib's RSI and ATR recurrences, with the division
    /// replaced by a multiplication (equal up to rounding; divisions dominated the head's time).
    struct WilderAverage {
        let period: Int
        let inverse: Double
        private(set) var value = Double.nan
        private var seen = 0
        private var total = 0.0

        init(period: Int) {
            self.period = period
            inverse = 1 / Double(period)
        }

        mutating func update(_ x: Double) {
            if seen >= period {
                value += (x - value) * inverse
                return
            }
            seen += 1
            total += x
            if seen == period { value = total * inverse }
        }
    }
}
