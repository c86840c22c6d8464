import Core

extension VolumeHead {
    /// OBV divergence or flow on one timeframe.
    func scoreOBV(_ candles: [Candle], interval: CandleInterval, weight: Double, into evidence: inout WeightedEvidence) -> String {
        let count = candles.count
        let last = count - 1
        let span = max(divergenceRecent + divergencePrior, obvWindow + 1)
        let start = count - span
        let recentStart = count - divergenceRecent
        let priorStart = recentStart - divergencePrior
        let flowStart = last - obvWindow

        var obv = 0.0
        var obvAtFlowStart = 0.0
        var volume = 0.0
        var priorHigh = -Double.infinity, priorLow = Double.infinity
        var priorOBVHigh = -Double.infinity, priorOBVLow = Double.infinity
        var recentHigh = -Double.infinity, recentLow = Double.infinity
        var recentOBVHigh = -Double.infinity, recentOBVLow = Double.infinity
        for i in start...last {
            let candle = candles[i]
            if i > start {
                let previous = candles[i - 1].close
                if candle.close > previous {
                    obv += candle.volume
                } else if candle.close < previous {
                    obv -= candle.volume
                }
            }
            if i == flowStart { obvAtFlowStart = obv }
            if i > flowStart { volume += candle.volume }
            if i >= recentStart {
                recentHigh = max(recentHigh, candle.close)
                recentLow = min(recentLow, candle.close)
                recentOBVHigh = max(recentOBVHigh, obv)
                recentOBVLow = min(recentOBVLow, obv)
            } else if i >= priorStart {
                priorHigh = max(priorHigh, candle.close)
                priorLow = min(priorLow, candle.close)
                priorOBVHigh = max(priorOBVHigh, obv)
                priorOBVLow = min(priorOBVLow, obv)
            }
        }
        let name = "OBV \(interval.rawValue)"
        let bearish = recentHigh > priorHigh && recentOBVHigh < priorOBVHigh
        let bullish = recentLow < priorLow && recentOBVLow > priorOBVLow
        if bearish != bullish {
            evidence.add(bullish ? 1 : -1, weight: weight)
            return bullish
                ? "\(name): bullish divergence, price lower low \(ReasonFormat.price(recentLow)) < \(ReasonFormat.price(priorLow)) but OBV higher low"
                : "\(name): bearish divergence, price higher high \(ReasonFormat.price(recentHigh)) > \(ReasonFormat.price(priorHigh)) but OBV lower high"
        }
        let flow = volume > 0 ? (obv - obvAtFlowStart) / volume : 0
        let priceChange = candles[last].close - candles[flowStart].close
        let strength = min(max(flow / 0.4, -1), 1)
        let confirms = (flow > 0 && priceChange > 0) || (flow < 0 && priceChange < 0)
        evidence.add(confirms ? strength : 0.5 * strength, weight: weight)
        let flowText = "\(name) flow \(ReasonFormat.decimal(flow, 2)) over \(obvWindow) bars"
        if flow == 0 { return flowText + ": flat" }
        return flowText + (confirms ? ", confirming the price move" : ", not confirming the price move")
    }

    /// Close against the session (or, early in the day, rolling) VWAP.
    func scoreVWAP(_ candles: [Candle], into evidence: inout WeightedEvidence) -> String {
        let count = candles.count
        let last = count - 1
        let day = Indicators.utcDay(candles[last].openTime)
        var sessionStart = last
        while sessionStart > 0, Indicators.utcDay(candles[sessionStart - 1].openTime) == day { sessionStart -= 1 }
        let session = last - sessionStart + 1 >= minimumSessionBars
        let from = session ? sessionStart : max(0, count - fallbackVWAPBars)
        let name = session ? "session VWAP \(vwapInterval.rawValue)" : "rolling VWAP \(vwapInterval.rawValue) (session too young)"

        var priceVolume = 0.0
        var volume = 0.0
        var earlier = Double.nan
        for i in from...last {
            let c = candles[i]
            priceVolume += (c.high + c.low + c.close) / 3 * c.volume
            volume += c.volume
            if i == last - vwapSlopeBars, volume > 0 { earlier = priceVolume / volume }
        }
        var atr = Indicators.ATR(period: 14)
        for i in max(0, count - 30)...last { atr.update(candles[i]) }
        guard volume > 0, atr.value > 0 else {
            evidence.add(0, weight: vwapWeight)
            return "\(name): no volume"
        }
        let vwap = priceVolume / volume
        let close = candles[last].close
        let rising = !earlier.isNaN && vwap > earlier
        let falling = !earlier.isNaN && vwap < earlier
        let text = "close \(ReasonFormat.price(close)) vs \(name) \(ReasonFormat.price(vwap))"
        let distance = min(max((close - vwap) / (0.5 * atr.value), -1), 1)
        if distance >= 0.2 {
            evidence.add(distance * (rising ? 1 : 0.4), weight: vwapWeight)
            return text + (rising ? ": above, VWAP rising" : ": above, VWAP not rising")
        }
        if distance <= -0.2 {
            evidence.add(distance * (falling ? 1 : 0.4), weight: vwapWeight)
            return text + (falling ? ": below, VWAP falling" : ": below, VWAP not falling")
        }
        evidence.add(distance * 0.4, weight: vwapWeight)
        return text + ": at VWAP"
    }

    /// Volume surges among the last bars, with their candles' direction; nil without a surge.
    func scoreSurge(_ candles: [Candle], interval: CandleInterval, weight: Double, into evidence: inout WeightedEvidence) -> String? {
        let count = candles.count
        let firstRecent = count - surgeLookback
        var baseline = 0.0
        for i in (firstRecent - surgeAverage)..<firstRecent { baseline += candles[i].volume }
        baseline /= Double(surgeAverage)
        guard baseline > 0 else { return nil }
        var sum = 0.0
        var strongest = 0.0
        var strongestIndex = -1
        for i in firstRecent..<count where candles[i].volume > surgeMultiple * baseline {
            let c = candles[i]
            let range = c.high - c.low
            sum += range > 0 ? (c.close - c.open) / range : 0
            if c.volume > strongest {
                strongest = c.volume
                strongestIndex = i
            }
        }
        guard strongestIndex >= 0 else { return nil }
        evidence.add(sum, weight: weight)
        let c = candles[strongestIndex]
        let side = c.close > c.open ? "bullish" : (c.close < c.open ? "bearish" : "flat")
        return "volume surge on \(interval.rawValue) " + ReasonFormat.barsAgo(count - 1 - strongestIndex) + ": \(ReasonFormat.decimal(strongest / baseline, 1))× the \(surgeAverage)-bar average on a \(side) candle"
    }
}
