import Core

extension ICTHead {
    /// The three concepts, as indices into per-concept tallies.
    enum Concept: Int, CaseIterable {
        case fairValueGap, optimalTradeEntry, liquiditySweep
    }

    /// The scored setups (unweighted, + long / − short) of one timeframe, with their reasons.
    func setups(_ c: StructureKit.Series, _ interval: CandleInterval) -> [(Concept, Double, String)] {
        let atr = StructureKit.meanTrueRange(c, period: atrPeriod)
        guard atr.isFinite, atr > 0 else { return [] }
        var out: [(Concept, Double, String)] = []
        if let gap = fairValueGap(c, atr: atr, interval) { out.append((.fairValueGap, gap.0, gap.1)) }
        if let ote = optimalTradeEntry(c, atr: atr, interval) { out.append((.optimalTradeEntry, ote.0, ote.1)) }
        if let sweep = liquiditySweep(c, atr: atr, interval) { out.append((.liquiditySweep, sweep.0, sweep.1)) }
        return out
    }

    /// The live fair value gap price is in (±1) or near (±0.5); bullish first when both score.
    func fairValueGap(_ c: StructureKit.Series, atr: Double, _ interval: CandleInterval) -> (Double, String)? {
        let n = c.count
        let last = n - 1
        guard n >= 3 else { return nil }
        let close = c.close[last]
        let minimumGap = fvgMinimumATR * atr
        let near = fvgNearATR * atr
        let tapStart = max(0, n - tapBars)
        var tapLow = Double.infinity
        var tapHigh = -Double.infinity
        for j in tapStart..<n {
            tapLow = min(tapLow, c.low[j])
            tapHigh = max(tapHigh, c.high[j])
        }

        // Scan backwards so the first gap found is the newest, keeping the extremes of the
        // candles after the gap's third candle.
        var lowAfter = Double.infinity
        var highAfter = -Double.infinity
        var closeBelow = Double.infinity  // lowest close after
        var closeAbove = -Double.infinity  // highest close after
        var bullTapped: (Double, Double)?
        var bearTapped: (Double, Double)?
        var bullNear: (Double, Double, Double)?  // bottom, top, distance
        var bearNear: (Double, Double, Double)?
        var i = last
        while i >= 2 {
            let recentLow = i + 1 >= tapStart ? lowAfter : tapLow
            let recentHigh = i + 1 >= tapStart ? highAfter : tapHigh
            let bottom = c.high[i - 2]
            let top = c.low[i]
            if top - bottom >= minimumGap, closeBelow >= bottom {
                if recentLow <= top || close <= top {
                    if bullTapped == nil { bullTapped = (bottom, top) }
                } else if close - top <= near, bullNear == nil || close - top < bullNear!.2 {
                    bullNear = (bottom, top, close - top)
                }
            }
            let bearBottom = c.high[i]
            let bearTop = c.low[i - 2]
            if bearTop - bearBottom >= minimumGap, closeAbove <= bearTop {
                if recentHigh >= bearBottom || close >= bearBottom {
                    if bearTapped == nil { bearTapped = (bearBottom, bearTop) }
                } else if bearBottom - close <= near, bearNear == nil || bearBottom - close < bearNear!.2 {
                    bearNear = (bearBottom, bearTop, bearBottom - close)
                }
            }
            lowAfter = min(lowAfter, c.low[i])
            highAfter = max(highAfter, c.high[i])
            closeBelow = min(closeBelow, c.close[i])
            closeAbove = max(closeAbove, c.close[i])
            i -= 1
        }

        let tf = interval.rawValue
        func zone(_ bottom: Double, _ top: Double) -> String {
            ReasonFormat.price(bottom, trimmingZeros: true) + "–" + ReasonFormat.price(top, trimmingZeros: true)
        }
        switch (bullTapped, bearTapped) {
        case let (bull?, bear?):
            return (0, "price traded into both a bullish FVG \(zone(bull.0, bull.1)) and a bearish FVG "
                + "\(zone(bear.0, bear.1)) on \(tf): no edge")
        case let (bull?, nil):
            return (1, "bullish FVG \(zone(bull.0, bull.1)) on \(tf), price retraced into it: long setup")
        case let (nil, bear?):
            return (-1, "bearish FVG \(zone(bear.0, bear.1)) on \(tf), price retraced into it: short setup")
        case (nil, nil):
            break
        }
        let atrs = { (d: Double) in ReasonFormat.decimal(d / atr, 1) }
        switch (bullNear, bearNear) {
        case let (bull?, bear?):
            return bull.2 <= bear.2
                ? (0.5, "bullish FVG \(zone(bull.0, bull.1)) on \(tf), \(atrs(bull.2)) ATR below price")
                : (-0.5, "bearish FVG \(zone(bear.0, bear.1)) on \(tf), \(atrs(bear.2)) ATR above price")
        case let (bull?, nil):
            return (0.5, "bullish FVG \(zone(bull.0, bull.1)) on \(tf), \(atrs(bull.2)) ATR below price")
        case let (nil, bear?):
            return (-0.5, "bearish FVG \(zone(bear.0, bear.1)) on \(tf), \(atrs(bear.2)) ATR above price")
        case (nil, nil):
            return nil
        }
    }

    /// +1 when the close sits in the OTE band of an up-leg, −1 in that of a down-leg.
    func optimalTradeEntry(_ c: StructureKit.Series, atr: Double, _ interval: CandleInterval) -> (Double, String)? {
        let n = c.count
        let last = n - 1
        let start = max(0, n - oteLookback)
        var hi = start
        var lo = start
        for j in start..<n {
            if c.high[j] > c.high[hi] { hi = j }
            if c.low[j] < c.low[lo] { lo = j }
        }
        let high = c.high[hi]
        let low = c.low[lo]
        let leg = high - low
        guard leg >= oteMinimumLegATR * atr, leg > 0 else { return nil }
        let close = c.close[last]
        let band = ReasonFormat.decimal(oteZone.lowerBound * 100, 0) + "–" + ReasonFormat.wholePercent(oteZone.upperBound)
        let tf = interval.rawValue
        if lo < hi, hi <= last - 2 {
            let retrace = (high - close) / leg
            guard oteZone.contains(retrace) else { return nil }
            return (1, "price \(ReasonFormat.wholePercent(retrace)) back into the \(tf) up-swing "
                + "\(ReasonFormat.price(low, trimmingZeros: true))→\(ReasonFormat.price(high, trimmingZeros: true)): inside the \(band) OTE, long zone")
        }
        if hi < lo, lo <= last - 2 {
            let retrace = (close - low) / leg
            guard oteZone.contains(retrace) else { return nil }
            return (-1, "price \(ReasonFormat.wholePercent(retrace)) back into the \(tf) down-swing "
                + "\(ReasonFormat.price(high, trimmingZeros: true))→\(ReasonFormat.price(low, trimmingZeros: true)): inside the \(band) OTE, short zone")
        }
        return nil
    }

    /// The newest sweep of swing lows (+) or highs (−) that closed back inside and still holds.
    func liquiditySweep(_ c: StructureKit.Series, atr: Double, _ interval: CandleInterval) -> (Double, String)? {
        let n = c.count
        let last = n - 1
        let swings = Indicators.swings(high: c.high, low: c.low, left: 2, right: 2)
        let tolerance = equalLevelATR * atr
        var best: (score: Double, level: Double, extreme: Double, equal: Bool)?
        var j = last
        while j >= max(1, n - sweepRecentBars) {
            // Closes from the sweeping candle on must stay on the right side of the level.
            var lowestClose = Double.infinity
            var highestClose = -Double.infinity
            for k in j...last {
                lowestClose = min(lowestClose, c.close[k])
                highestClose = max(highestClose, c.close[k])
            }
            for s in swings where s.confirmedAt < j && s.index >= j - sweepLookback {
                let isLow = s.kind == .low
                let swept = isLow
                    ? c.low[j] < s.price && c.close[j] > s.price && lowestClose > s.price
                    : c.high[j] > s.price && c.close[j] < s.price && highestClose < s.price
                guard swept, untouched(c, s, before: j) else { continue }
                let equal = swings.contains { other in
                    other.kind == s.kind && other.index != s.index && other.confirmedAt < j
                        && other.index >= j - sweepLookback && abs(other.price - s.price) <= tolerance
                        && (isLow ? c.low[j] < other.price : c.high[j] > other.price)
                }
                let magnitude = equal ? 1.25 : 1.0
                if best == nil || magnitude > abs(best!.score) {
                    best = (isLow ? magnitude : -magnitude, s.price, isLow ? c.low[j] : c.high[j], equal)
                }
            }
            if best != nil { break }
            j -= 1
        }
        guard let best else { return nil }
        let tf = interval.rawValue
        let level = ReasonFormat.price(best.level, trimmingZeros: true)
        let extreme = ReasonFormat.price(best.extreme, trimmingZeros: true)
        if best.score > 0 {
            let what = best.equal ? "equal lows" : "the swing low"
            return (best.score, "bullish liquidity sweep on \(tf): wick to \(extreme) below \(what) \(level), "
                + "closed back above")
        }
        let what = best.equal ? "equal highs" : "the swing high"
        return (best.score, "bearish liquidity sweep on \(tf): wick to \(extreme) above \(what) \(level), "
            + "closed back below")
    }

    /// Whether no candle between swing `s` and candle `j` traded through its level.
    private func untouched(_ c: StructureKit.Series, _ s: SwingPoint, before j: Int) -> Bool {
        var k = s.index + 1
        while k < j {
            if s.kind == .low ? c.low[k] < s.price : c.high[k] > s.price { return false }
            k += 1
        }
        return true
    }
}
