import Core

extension WyckoffHead {
    /// A trading range found before the event window.
    struct TradingRange {
        var high: Double
        var low: Double
        var meanSpread: Double
        var meanVolume: Double
        /// −1 after a downtrend (accumulation), +1 after an uptrend (distribution), else 0.
        var context: Int

        var height: Double { high - low }
        var middle: Double { (high + low) / 2 }
    }

    /// The scored events (unweighted, + long / − short) of one timeframe, with their reasons;
    /// `primary` marks springs, upthrusts and breakouts (effort-vs-result readings support them).
    func read(_ c: StructureKit.Series, _ interval: CandleInterval) -> [(score: Double, reason: String, primary: Bool)] {
        let tf = interval.rawValue
        let eventStart = c.count - eventBars
        guard let range = tradingRange(c, end: eventStart) else {
            return [(0, "\(tf): no trading range in the \(rangeBars) candles before the last \(eventBars)", false)]
        }
        let p = { (value: Double) in ReasonFormat.price(value, trimmingZeros: true) }
        let context = range.context < 0 ? ", after a downtrend" : range.context > 0 ? ", after an uptrend" : ""
        let rangeText = "\(p(range.low))–\(p(range.high))"
        var out: [(score: Double, reason: String, primary: Bool)] = []
        for event in [
            edgeTest(c, range, from: eventStart, atLow: true), edgeTest(c, range, from: eventStart, atLow: false),
            breakout(c, range, from: eventStart),
        ] {
            if let event { out.append((event.0, event.1, true)) }
        }
        for reading in effortVersusResult(c, range, from: eventStart) { out.append((reading.0, reading.1, false)) }
        if out.isEmpty {
            return [(0, "\(tf): trading range \(rangeText)\(context); no spring, upthrust or breakout yet", false)]
        }
        return out.map { ($0.score, "\(tf) range \(rangeText)\(context): " + $0.reason, $0.primary) }
    }

    /// The range of the `rangeBars` candles ending before `end`, when it is one.
    func tradingRange(_ c: StructureKit.Series, end: Int) -> TradingRange? {
        let start = end - rangeBars
        guard start >= 0, rangeBars >= 2 else { return nil }
        var high = -Double.infinity
        var low = Double.infinity
        var spread = 0.0
        var volume = 0.0
        for i in start..<end {
            high = max(high, c.high[i])
            low = min(low, c.low[i])
            spread += c.high[i] - c.low[i]
            volume += c.volume[i]
        }
        let count = Double(rangeBars)
        let height = high - low
        let meanSpread = spread / count
        guard height > 0, meanSpread > 0, height <= maxRangeSpreads * meanSpread,
            abs(c.close[end - 1] - c.open[start]) <= maxRangeDrift * height
        else { return nil }
        let band = height / 4
        var top = 0
        var bottom = 0
        for i in start..<end {
            if c.high[i] >= high - band { top += 1 }
            if c.low[i] <= low + band { bottom += 1 }
        }
        guard top >= 2, bottom >= 2 else { return nil }
        var context = 0
        if start - trendBars >= 0 {
            let move = c.close[max(start - 1, 0)] - c.close[start - trendBars]
            if move <= -trendRanges * height { context = -1 }
            if move >= trendRanges * height { context = 1 }
        }
        return TradingRange(high: high, low: low, meanSpread: meanSpread, meanVolume: volume / count, context: context)
    }

    /// A spring (`atLow`, long) or an upthrust (short) in the event window.
    func edgeTest(_ c: StructureKit.Series, _ range: TradingRange, from start: Int, atLow: Bool) -> (Double, String)? {
        let last = c.count - 1
        var s = start
        for i in start...last where atLow ? c.low[i] < c.low[s] : c.high[i] > c.high[s] { s = i }
        let level = atLow ? range.low : range.high
        let extreme = atLow ? c.low[s] : c.high[s]
        let depth = atLow ? level - extreme : extreme - level
        guard depth > 0, depth >= minPenetration * range.height, depth <= maxPenetration * range.height else {
            return nil
        }
        for i in s...last where atLow ? c.close[i] < level : c.close[i] > level { return nil }

        let p = { (value: Double) in ReasonFormat.price(value, trimmingZeros: true) }
        let volumeRatio = range.meanVolume > 0 ? c.volume[s] / range.meanVolume : 1
        var score = 1.0
        var text = atLow
            ? "spring: dip to \(p(extreme)) below the range low, closed back inside"
            : "upthrust: poke to \(p(extreme)) above the range high, failed back inside"
        if volumeRatio <= moderateVolume {
            score += 0.25
            text += " on moderate volume (\(ReasonFormat.decimal(volumeRatio, 1))× mean)"
        } else {
            text += " on heavy volume (\(ReasonFormat.decimal(volumeRatio, 1))× mean)"
        }
        if atLow ? c.close[last] > c.high[s] : c.close[last] < c.low[s] {
            score += 0.5
            text += atLow ? ", then a rally to \(p(c.close[last]))" : ", then a drop to \(p(c.close[last]))"
        }
        if atLow && range.context < 0 {
            score += 0.25
            text += "; accumulation"
        }
        if !atLow && range.context > 0 {
            score += 0.25
            text += "; distribution"
        }
        return (atLow ? score : -score, text + (atLow ? ": long" : ": short"))
    }

    /// The newest sign of strength (long) or weakness (short) that still holds.
    func breakout(_ c: StructureKit.Series, _ range: TradingRange, from start: Int) -> (Double, String)? {
        let last = c.count - 1
        var i = last
        while i >= start {
            let spread = c.high[i] - c.low[i]
            let wide = spread >= wideSpread * range.meanSpread
            let heavy = c.volume[i] >= highVolume * range.meanVolume
            if wide && heavy {
                let position = spread > 0 ? (c.close[i] - c.low[i]) / spread : 0.5
                let volume = ReasonFormat.decimal(range.meanVolume > 0 ? c.volume[i] / range.meanVolume : 0, 1)
                let width = ReasonFormat.decimal(spread / range.meanSpread, 1)
                if c.close[i] > range.high, position >= 2.0 / 3, c.close[last] > range.high {
                    return (1.5, "sign of strength: \(width)× wide up-bar on \(volume)× volume closed above the range")
                }
                if c.close[i] < range.low, position <= 1.0 / 3, c.close[last] < range.low {
                    return (-1.5, "sign of weakness: \(width)× wide down-bar on \(volume)× volume closed below the range")
                }
            }
            i -= 1
        }
        return nil
    }

    /// Absorption (effort without result) and volume harmony in the event window.
    func effortVersusResult(_ c: StructureKit.Series, _ range: TradingRange, from start: Int) -> [(Double, String)] {
        let last = c.count - 1
        var out: [(Double, String)] = []
        var i = last
        while i >= start {
            let spread = c.high[i] - c.low[i]
            if c.volume[i] >= absorptionVolume * range.meanVolume, spread <= absorptionSpread * range.meanSpread,
                c.close[i] >= range.low, c.close[i] <= range.high
            {
                let volume = ReasonFormat.decimal(c.volume[i] / range.meanVolume, 1)
                out.append(
                    c.close[i] < range.middle
                        ? (0.5, "effort without result: \(volume)× volume on a narrow bar near the lows, supply absorbed")
                        : (-0.5, "effort without result: \(volume)× volume on a narrow bar near the highs, demand absorbed"))
                break
            }
            i -= 1
        }
        var up = 0.0
        var down = 0.0
        for j in start...last {
            if c.close[j] > c.open[j] { up += c.volume[j] }
            if c.close[j] < c.open[j] { down += c.volume[j] }
        }
        let move = c.close[last] - c.close[start - 1]
        if move > 0, up >= volumeBias * down, up > 0 {
            out.append((0.5, "volume on up-bars \(ratio(up, down)) that on down-bars: effort in harmony with the rise"))
        } else if move < 0, down >= volumeBias * up, down > 0 {
            out.append((-0.5, "volume on down-bars \(ratio(down, up)) that on up-bars: effort in harmony with the fall"))
        }
        return out
    }

    private func ratio(_ a: Double, _ b: Double) -> String {
        b > 0 ? ReasonFormat.decimal(a / b, 1) + "×" : "all of"
    }
}
