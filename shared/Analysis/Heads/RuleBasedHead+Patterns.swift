import Core

extension RuleBasedHead {
    /// The candlestick patterns the head knows.
    enum Pattern: String, Sendable {
        case morningStar = "morning star"
        case eveningStar = "evening star"
        case bullishEngulfing = "bullish engulfing"
        case bearishEngulfing = "bearish engulfing"
        case hammer
        case shootingStar = "shooting star"
        case doji

        /// +1 bullish, −1 bearish, 0 indecision.
        var bias: Double {
            switch self {
            case .morningStar, .bullishEngulfing, .hammer: 1
            case .eveningStar, .bearishEngulfing, .shootingStar: -1
            case .doji: 0
            }
        }

        var strength: Double {
            switch self {
            case .morningStar, .eveningStar, .bullishEngulfing, .bearishEngulfing: 1
            case .hammer, .shootingStar: 0.8
            case .doji: 0
            }
        }

        /// Bars the pattern spans.
        var length: Int {
            switch self {
            case .morningStar, .eveningStar: 3
            case .bullishEngulfing, .bearishEngulfing: 2
            case .hammer, .shootingStar, .doji: 1
            }
        }
    }

    /// The pattern ending at bar `i`, if any (first match in the documented order).
    func detect(_ candles: [Candle], at i: Int, atr: Double) -> Pattern? {
        let x = candles[i]
        let body = abs(x.close - x.open)
        let range = x.high - x.low
        if i >= 2 {
            let a = candles[i - 2]
            let b = candles[i - 1]
            let bodyA = abs(a.close - a.open)
            let bodyB = abs(b.close - b.open)
            let midA = (a.open + a.close) / 2
            let midB = (b.open + b.close) / 2
            if bodyA >= 0.5 * atr, bodyB <= starBodyRatio * bodyA, body >= 0.5 * bodyA {
                if a.close < a.open, midB < midA, x.close > x.open, x.close > midA { return .morningStar }
                if a.close > a.open, midB > midA, x.close < x.open, x.close < midA { return .eveningStar }
            }
        }
        if i >= 1 {
            let p = candles[i - 1]
            let previousBody = abs(p.close - p.open)
            if body >= 0.3 * atr, body > previousBody {
                if p.close < p.open, x.close > x.open, x.open <= p.close, x.close >= p.open { return .bullishEngulfing }
                if p.close > p.open, x.close < x.open, x.open >= p.close, x.close <= p.open { return .bearishEngulfing }
            }
        }
        guard range > 0 else { return nil }
        let upperWick = x.high - max(x.open, x.close)
        let lowerWick = min(x.open, x.close) - x.low
        if range >= 0.5 * atr, body <= 0.35 * range {
            if lowerWick >= 2 * body, lowerWick >= 0.55 * range, upperWick <= 0.15 * range { return .hammer }
            if upperWick >= 2 * body, upperWick >= 0.55 * range, lowerWick <= 0.15 * range { return .shootingStar }
        }
        if range >= 0.3 * atr, body <= dojiBodyRatio * range { return .doji }
        return nil
    }

    /// Where a pattern formed relative to the levels known before it.
    struct Location: Sendable {
        /// Kinds of level (swing, Donchian, pivot) the pattern touches: 0 means away from levels.
        var matches = 0
        /// The touched level nearest to the pattern's extreme, and what it is.
        var level = Double.nan
        var source = ""
        /// The nearest level of any kind on the relevant side, for patterns away from levels.
        var nearest = Double.nan
    }

    /// Tests the pattern ending at `last` against swing, Donchian and pivot levels formed
    /// before its first bar. Bullish patterns (and dojis) look for support below, bearish ones
    /// for resistance above; a doji takes whichever side it touches, support first.
    func locate(_ pattern: Pattern, in candles: [Candle], at last: Int, atr: Double) -> Location {
        let first = last - pattern.length + 1
        var low = Double.infinity
        var high = -Double.infinity
        for i in first...last {
            low = min(low, candles[i].low)
            high = max(high, candles[i].high)
        }
        let close = candles[last].close
        let tolerance = levelTolerance * atr
        var support = Location()
        var resistance = Location()
        var supportKinds = 0
        var resistanceKinds = 0

        func test(_ level: Double, _ source: String, kind: Int) {
            guard level.isFinite else { return }
            if level <= close + tolerance {
                let distance = abs(low - level)
                if distance <= tolerance || (low < level && close > level) {
                    supportKinds |= kind
                    if support.level.isNaN || distance < abs(low - support.level) {
                        support.level = level
                        support.source = source
                    }
                } else if support.nearest.isNaN || distance < abs(low - support.nearest) {
                    support.nearest = level
                }
            }
            if level >= close - tolerance {
                let distance = abs(high - level)
                if distance <= tolerance || (high > level && close < level) {
                    resistanceKinds |= kind
                    if resistance.level.isNaN || distance < abs(high - resistance.level) {
                        resistance.level = level
                        resistance.source = source
                    }
                } else if resistance.nearest.isNaN || distance < abs(high - resistance.nearest) {
                    resistance.nearest = level
                }
            }
        }

        // Swing points confirmed before the pattern.
        let start = max(0, first - window)
        if first - start > 2 * swingStrength {
            var highs: [Double] = []
            var lows: [Double] = []
            highs.reserveCapacity(first - start)
            lows.reserveCapacity(first - start)
            for i in start..<first {
                highs.append(candles[i].high)
                lows.append(candles[i].low)
            }
            for swing in Indicators.swings(high: highs, low: lows, left: swingStrength, right: swingStrength) {
                test(swing.price, swing.kind == .high ? "swing high" : "swing low", kind: 1)
            }
        }
        // Donchian range of the bars before the pattern.
        if first >= donchianPeriod {
            var top = -Double.infinity
            var bottom = Double.infinity
            for i in (first - donchianPeriod)..<first {
                top = max(top, candles[i].high)
                bottom = min(bottom, candles[i].low)
            }
            test(top, "\(donchianPeriod)-bar high", kind: 2)
            test(bottom, "\(donchianPeriod)-bar low", kind: 2)
        }
        // Previous UTC day's pivots, from candles before the pattern.
        if let pivots = previousDayPivots(candles, before: first, day: Indicators.utcDay(candles[last].openTime)) {
            test(pivots.pivot, "daily pivot", kind: 4)
            test(pivots.r1, "R1", kind: 4)
            test(pivots.r2, "R2", kind: 4)
            test(pivots.s1, "S1", kind: 4)
            test(pivots.s2, "S2", kind: 4)
        }

        support.matches = supportKinds.nonzeroBitCount
        resistance.matches = resistanceKinds.nonzeroBitCount
        if pattern.bias > 0 { return support }
        if pattern.bias < 0 { return resistance }
        return support.matches > 0 || resistance.matches == 0 ? support : resistance
    }

    /// Classic pivots of UTC day `day − 1`, from candles before index `end`.
    private func previousDayPivots(_ candles: [Candle], before end: Int, day: Int64) -> PivotLevels? {
        var high = -Double.infinity
        var low = Double.infinity
        var close = Double.nan
        var i = end - 1
        while i >= 0 {
            let candleDay = Indicators.utcDay(candles[i].openTime)
            if candleDay < day - 1 { break }
            if candleDay == day - 1 {
                if close.isNaN { close = candles[i].close }
                high = max(high, candles[i].high)
                low = min(low, candles[i].low)
            }
            i -= 1
        }
        return close.isNaN ? nil : PivotLevels(high: high, low: low, close: close)
    }

    /// The reason text for one timeframe's pattern.
    func describe(_ pattern: Pattern, _ location: Location, atr: Double) -> String {
        let side = pattern.bias > 0 ? "support" : (pattern.bias < 0 ? "resistance" : "a level")
        if location.matches > 0 {
            let text = "\(pattern.rawValue) at \(side) \(ReasonFormat.price(location.level)) (\(location.source)"
                + (location.matches > 1 ? ", \(location.matches) kinds of level)" : ")")
            return pattern == .doji ? text + ": indecision" : text
        }
        let away = "\(pattern.rawValue) away from support/resistance"
        let nearest = location.nearest.isNaN ? "" : " (nearest \(ReasonFormat.price(location.nearest)))"
        return away + nearest + (pattern == .doji ? ": indecision" : ": counts little")
    }
}
