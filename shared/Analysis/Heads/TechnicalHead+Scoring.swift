import Core

extension TechnicalHead {
    /// Adds the sub-signals of one timeframe to `evidence`; returns the timeframe's reason.
    func score(_ r: Reading, interval: CandleInterval, weight: Double, into evidence: inout WeightedEvidence) -> String {
        var unit = 0.5 * r.atr
        if !(unit > 0) { unit = max(abs(r.close) * 1e-4, .leastNormalMagnitude) }
        func scaled(_ d: Double) -> Double { min(max(d / unit, -1), 1) }
        // One string with room to spare: appending beats building and joining parts.
        var text = interval.rawValue + ": "
        text.reserveCapacity(200)
        var first = true
        func add(_ part: String) {
            if !first { text += ", " }
            text += part
            first = false
        }

        // Alignment.
        let closeFast = scaled(r.close - r.fast)
        let fastMid = scaled(r.fast - r.mid)
        let midSlow = r.slow.isNaN ? Double.nan : scaled(r.mid - r.slow)
        let alignment = midSlow.isNaN ? (closeFast + fastMid) / 2 : (closeFast + fastMid + midSlow) / 3
        evidence.add(alignment, weight: weight * alignmentWeight)
        let emas = midSlow.isNaN ? "EMA\(fastPeriod)/\(midPeriod)" : "EMA\(fastPeriod)/\(midPeriod)/\(slowPeriod)"
        if closeFast > 0.5, fastMid > 0.5, midSlow.isNaN || midSlow > 0.5 {
            add(emas + " stacked bullish")
        } else if closeFast < -0.5, fastMid < -0.5, midSlow.isNaN || midSlow < -0.5 {
            add(emas + " stacked bearish")
        } else {
            add(emas + " mixed (" + ReasonFormat.decimal(alignment, 2) + ")")
        }

        // Crosses: the long pair first; absent crosses, whipsaws (a cross within `crossLookback`
        // bars of the previous one) and EMAs still within 0.05 ATR of each other add nothing.
        let minimumGap = 0.1 * unit
        if r.midSlowCrossAge >= 0, r.midSlowCrossAge <= crossLookback, !r.midSlowWhipsaw, abs(r.midSlowGap) >= minimumGap {
            let strength = 1 - 0.5 * Double(r.midSlowCrossAge) / Double(crossLookback)
            evidence.add(r.midSlowCrossUp ? strength : -strength, weight: weight * crossWeight)
            add("\(r.midSlowCrossUp ? "golden" : "death") cross (EMA\(midPeriod)/\(slowPeriod)) " + ReasonFormat.barsAgo(r.midSlowCrossAge))
        } else if r.fastMidCrossAge >= 0, r.fastMidCrossAge <= crossLookback, !r.fastMidWhipsaw,
            abs(r.fastMidGap) >= minimumGap
        {
            let strength = 0.8 * (1 - 0.5 * Double(r.fastMidCrossAge) / Double(crossLookback))
            evidence.add(r.fastMidCrossUp ? strength : -strength, weight: weight * crossWeight)
            add("EMA\(fastPeriod) crossed \(r.fastMidCrossUp ? "above" : "below") EMA\(midPeriod) " + ReasonFormat.barsAgo(r.fastMidCrossAge))
        }

        // RSI.
        if !r.rsi.isNaN {
            let rsiText = "RSI(\(rsiPeriod)) \(ReasonFormat.decimal(r.rsi, 1))"
            if r.rsi >= overbought {
                evidence.add(-0.5, weight: weight * rsiWeight)
                add(rsiText + " overbought")
            } else if r.rsi <= oversold {
                evidence.add(0.5, weight: weight * rsiWeight)
                add(rsiText + " oversold")
            } else {
                evidence.add((r.rsi - 50) / 20, weight: weight * rsiWeight)
                add(rsiText + (r.rsi >= 50 ? " above midline" : " below midline"))
            }
        }

        // MACD.
        if !r.histogram.isNaN {
            let momentum: Double
            let macdText: String
            if r.signalCrossAge >= 0, r.signalCrossAge < 3 {
                momentum = r.signalCrossUp ? 1 : -1
                macdText = "MACD crossed \(r.signalCrossUp ? "above" : "below") signal " + ReasonFormat.barsAgo(r.signalCrossAge)
            } else {
                let rising = r.previousHistogram.isNaN || r.histogram >= r.previousHistogram
                if r.histogram > 0 {
                    momentum = rising ? 1 : 0.3
                } else {
                    momentum = rising ? -0.3 : -1
                }
                macdText = "MACD histogram \(ReasonFormat.price(r.histogram)) \(rising ? "rising" : "falling")"
            }
            // A histogram that is a sliver of the ATR is chop, whatever its sign.
            let strength = min(1, abs(r.histogram) / (0.2 * unit))
            evidence.add(0.5 * scaled(r.macd) + 0.5 * momentum * strength, weight: weight * macdWeight)
            add(macdText + (r.macd >= 0 ? ", line above zero" : ", line below zero"))
        }

        // Bollinger.
        if !r.upper.isNaN {
            let b: Double
            if r.squeeze {
                b = 0
                add("Bollinger squeeze (bands inside Keltner)")
            } else if r.close > r.upper {
                b = r.expanding ? 1 : -0.5
                add(r.expanding ? "breakout above upper Bollinger band, bands expanding" : "close above upper Bollinger band: stretched")
            } else if r.close < r.lower {
                b = r.expanding ? -1 : 0.5
                add(r.expanding ? "breakdown below lower Bollinger band, bands expanding" : "close below lower Bollinger band: stretched")
            } else {
                let percentB = r.upper > r.lower ? (r.close - r.lower) / (r.upper - r.lower) : 0.5
                b = percentB - 0.5
                add("%B \(ReasonFormat.decimal(percentB, 2))")
            }
            evidence.add(b, weight: weight * bollingerWeight)
        }
        return text
    }
}
