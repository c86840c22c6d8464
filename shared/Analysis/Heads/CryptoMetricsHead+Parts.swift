import Core

extension CryptoMetricsHead {
    /// Taker-buy share over one window; nil when the window is short or has no volume.
    func scoreFlow(_ candles: [Candle], _ window: FlowWindow, into evidence: inout WeightedEvidence) -> String? {
        guard window.bars > 0, candles.count >= window.bars else { return nil }
        var volume = 0.0
        var bought = 0.0
        for i in (candles.count - window.bars)..<candles.count {
            volume += candles[i].volume
            bought += candles[i].takerBuyVolume
        }
        guard volume > 0 else { return nil }
        let share = bought / volume
        evidence.add((share - 0.5) / flowFull, weight: window.weight)
        let side = share >= 0.5 + flowFull / 2 ? ": buyers aggressing" : (share <= 0.5 - flowFull / 2 ? ": sellers aggressing" : ": balanced")
        return "taker buy share \(window.interval.rawValue) (\(window.bars) bars) \(ReasonFormat.percent(share, 1))" + side
    }

    /// CVD divergence or trend on ``cvdInterval``; nil when the window is short or has no volume.
    func scoreCVD(_ candles: [Candle], into evidence: inout WeightedEvidence) -> String? {
        let count = candles.count
        guard cvdWindow > divergenceRecent + 2, count >= cvdWindow else { return nil }
        let start = count - cvdWindow
        let recentStart = count - divergenceRecent
        var cvd = 0.0
        var volume = 0.0
        var priorHigh = -Double.infinity, priorLow = Double.infinity
        var priorCVDHigh = -Double.infinity, priorCVDLow = Double.infinity
        var recentHigh = -Double.infinity, recentLow = Double.infinity
        var recentCVDHigh = -Double.infinity, recentCVDLow = Double.infinity
        for i in start..<count {
            let c = candles[i]
            cvd += 2 * c.takerBuyVolume - c.volume
            volume += c.volume
            if i >= recentStart {
                recentHigh = max(recentHigh, c.close)
                recentLow = min(recentLow, c.close)
                recentCVDHigh = max(recentCVDHigh, cvd)
                recentCVDLow = min(recentCVDLow, cvd)
            } else {
                priorHigh = max(priorHigh, c.close)
                priorLow = min(priorLow, c.close)
                priorCVDHigh = max(priorCVDHigh, cvd)
                priorCVDLow = min(priorCVDLow, cvd)
            }
        }
        guard volume > 0 else { return nil }
        let name = "CVD \(cvdInterval.rawValue)"
        let bearish = recentHigh > priorHigh && recentCVDHigh < priorCVDHigh
        let bullish = recentLow < priorLow && recentCVDLow > priorCVDLow
        if bearish != bullish {
            evidence.add(bullish ? 1 : -1, weight: cvdWeight)
            return bullish
                ? "\(name): bullish divergence, price lower low but CVD higher low (sellers exhausted)"
                : "\(name): bearish divergence, price higher high but CVD lower high (buyers fading)"
        }
        let trend = cvd / volume
        let priceChange = candles[count - 1].close - candles[start].close
        let strength = min(max(trend / (2 * flowFull), -1), 1)
        let agrees = (trend > 0) == (priceChange > 0) || priceChange == 0
        evidence.add(agrees ? strength : 0.5 * strength, weight: cvdWeight)
        return "\(name) over \(cvdWindow) bars \(ReasonFormat.decimal(trend * 100, 1))% of volume net "
            + (trend >= 0 ? "bought" : "sold") + (agrees ? "" : ", against the price move")
    }

    /// Funding and premium extremes; nil when neither is known.
    func scorePremium(_ derivatives: Derivatives, into evidence: inout WeightedEvidence) -> String? {
        var parts = 0.0
        var total = 0.0
        var texts: [String] = []
        if let latest = derivatives.funding.last?.value, latest.isFinite {
            let deviation = latest - neutralFunding
            let score = abs(deviation) < fundingExtreme ? 0 : -min(max(deviation / fundingFull, -1), 1)
            total += score
            parts += 1
            texts.append("funding \(ReasonFormat.percent(latest, 4))" + (score < 0 ? " extreme: crowded longs" : (score > 0 ? " extreme: crowded shorts" : " normal")))
        }
        let recent = derivatives.premium.suffix(3)
        if !recent.isEmpty {
            var sum = 0.0
            for sample in recent { sum += sample.value }
            let premium = sum / Double(recent.count)
            if premium.isFinite {
                let score = abs(premium) < premiumExtreme ? 0 : -min(max(premium / premiumFull, -1), 1)
                total += score
                parts += 1
                texts.append("premium \(ReasonFormat.percent(premium, 3))" + (score < 0 ? " rich: longs stretched" : (score > 0 ? " at a discount: shorts stretched" : " normal")))
            }
        }
        guard parts > 0 else { return nil }
        evidence.add(total / parts, weight: premiumWeight)
        return texts.joined(separator: ", ")
    }

    /// Open-interest change against price; nil when either is unknown. The flag is deleveraging.
    func scoreOpenInterest(_ derivatives: Derivatives, _ input: AnalysisInput, into evidence: inout WeightedEvidence) -> (String, Bool)? {
        let series = derivatives.openInterest
        guard let latest = series.last, series.count >= 2 else { return nil }
        // The newest sample at least `openInterestLookback` old, or the oldest if it spans half of it.
        let target = latest.time - openInterestLookback
        var base: TimedValue? = nil
        var i = series.count - 2
        while i >= 0 {
            if series[i].time <= target {
                base = series[i]
                break
            }
            i -= 1
        }
        if base == nil, latest.time - series[0].time >= openInterestLookback / 2 { base = series[0] }
        guard let base, base.value > 0, latest.value.isFinite,
            let then = close(at: base.time, input), let now = input.candles(.oneMinute).last?.close ?? input.candles(.fiveMinutes).last?.close,
            then > 0
        else { return nil }
        let change = latest.value / base.value - 1
        let move = now / then - 1
        let minutes = (latest.time - base.time) / 60_000
        let text = "open interest \(ReasonFormat.percent(change, 1, signed: true)) and price \(ReasonFormat.percent(move, 2, signed: true)) over \(minutes) min"
        let size = 0.5 + 0.5 * min(1, abs(change) / openInterestFull)
        if change >= openInterestThreshold {
            if move >= priceThreshold {
                evidence.add(size, weight: openInterestWeight)
                return (text + ": longs building, trend confirmed", false)
            }
            if move <= -priceThreshold {
                evidence.add(-size, weight: openInterestWeight)
                return (text + ": shorts building", false)
            }
            evidence.add(0, weight: openInterestWeight)
            return (text + ": positions building, price flat", false)
        }
        evidence.add(0, weight: openInterestWeight)
        if change <= -openInterestThreshold {
            return (text + ": deleveraging" + (move >= priceThreshold ? " (short covering)" : (move <= -priceThreshold ? " (long liquidation)" : "")), true)
        }
        return (text + ": open interest flat", false)
    }

    /// The close of the newest 1m (else 5m) candle that closed at or before `time`.
    private func close(at time: Int64, _ input: AnalysisInput) -> Double? {
        for interval in [CandleInterval.oneMinute, .fiveMinutes] {
            let candles = input.candles(interval)
            guard let first = candles.first, first.closeTime <= time else { continue }
            var i = candles.count - 1
            while i >= 0 {
                if candles[i].closeTime <= time { return candles[i].close }
                i -= 1
            }
        }
        return nil
    }

    /// The realised-volatility regime: a reason, and whether it is high-volatility.
    func volatilityRegime(_ input: AnalysisInput) -> (String, Bool) {
        var interval = CandleInterval.oneMinute
        var candles = input.candles(.oneMinute)
        var recent = volatilityRecent
        var baseline = volatilityBaseline
        if candles.count < 3 * recent {
            interval = .fiveMinutes
            candles = input.candles(.fiveMinutes)
            recent = max(2, volatilityRecent / 5)
            baseline = max(2, volatilityBaseline / 5)
        }
        guard candles.count >= 3 * recent else { return ("realised volatility unavailable: too few 1m and 5m candles", false) }
        let count = candles.count
        let recentStart = count - recent
        let baselineStart = max(1, recentStart - baseline)
        var recentSum = 0.0, recentSquares = 0.0
        var baseSum = 0.0, baseSquares = 0.0
        // Close-to-close changes over the latest close: the same as simple returns to within
        // the window's drift, without a division per bar.
        guard candles[count - 1].close > 0 else { return ("realised volatility unavailable: no price", false) }
        let scale = 1 / candles[count - 1].close
        for i in baselineStart..<count {
            let r = (candles[i].close - candles[i - 1].close) * scale
            if i >= recentStart {
                recentSum += r
                recentSquares += r * r
            } else {
                baseSum += r
                baseSquares += r * r
            }
        }
        let n = Double(count - recentStart)
        let m = Double(recentStart - baselineStart)
        let recentVolatility = max(0, recentSquares / n - (recentSum / n) * (recentSum / n)).squareRoot()
        let baseVolatility = max(0, baseSquares / m - (baseSum / m) * (baseSum / m)).squareRoot()
        guard baseVolatility > 0 else { return ("realised volatility: no baseline movement", false) }
        let ratio = recentVolatility / baseVolatility
        let text = "realised volatility \(interval.rawValue) \(ReasonFormat.percent(recentVolatility, 3)) vs baseline \(ReasonFormat.percent(baseVolatility, 3))"
        if ratio > highVolatilityRatio { return (text + ": high-volatility regime, lower confidence", true) }
        return (text + (ratio < 0.5 ? ": quiet regime" : ": normal regime"), false)
    }
}
