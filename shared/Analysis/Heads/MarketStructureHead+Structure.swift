import Core

extension MarketStructureHead {
    /// A close through a swing level.
    struct Break {
        /// +1 bullish (close above a swing high), −1 bearish.
        var direction: Int
        /// Change of character (against the previous structure) rather than a break of structure.
        var reversal: Bool
        var index: Int
        var level: Double
    }

    /// +1 for higher highs and higher lows, −1 for lower highs and lower lows, else 0.
    func trend(_ swings: [SwingPoint]) -> Int {
        var highs: [Double] = []
        var lows: [Double] = []
        var k = swings.count - 1
        while k >= 0, highs.count < 2 || lows.count < 2 {
            let s = swings[k]
            if s.kind == .high, highs.count < 2 { highs.append(s.price) }
            if s.kind == .low, lows.count < 2 { lows.append(s.price) }
            k -= 1
        }
        guard highs.count == 2, lows.count == 2 else { return 0 }
        // Newest first: [0] is the latest swing.
        if highs[0] > highs[1], lows[0] > lows[1] { return 1 }
        if highs[0] < highs[1], lows[0] < lows[1] { return -1 }
        return 0
    }

    /// The newest close through a swing level, classified against the structure before it.
    func lastBreak(_ c: StructureKit.Series, _ swings: [SwingPoint]) -> Break? {
        var high: Double?
        var low: Double?
        var bias = 0
        var last: Break?
        var k = 0
        for t in 0..<c.count {
            while k < swings.count, swings[k].confirmedAt <= t {
                if swings[k].kind == .high { high = swings[k].price } else { low = swings[k].price }
                k += 1
            }
            let close = c.close[t]
            if let level = high, close > level {
                last = Break(direction: 1, reversal: bias < 0, index: t, level: level)
                bias = 1
                high = nil
            } else if let level = low, close < level {
                last = Break(direction: -1, reversal: bias > 0, index: t, level: level)
                bias = -1
                low = nil
            }
        }
        return last
    }

    /// The premium / discount score and reason of the dealing range on these candles.
    func premiumDiscount(_ c: StructureKit.Series, _ swings: [SwingPoint]) -> (score: Double, reason: String)? {
        guard let lastHigh = swings.last(where: { $0.kind == .high }),
            let lastLow = swings.last(where: { $0.kind == .low })
        else { return nil }
        let last = c.count - 1
        var top = -Double.infinity
        var bottom = Double.infinity
        for i in min(lastHigh.index, lastLow.index)...last {
            top = max(top, c.high[i])
            bottom = min(bottom, c.low[i])
        }
        guard top > bottom else { return nil }
        let position = (c.close[last] - bottom) / (top - bottom)
        let range = "\(ReasonFormat.price(bottom, trimmingZeros: true))–\(ReasonFormat.price(top, trimmingZeros: true))"
        let text = "price at \(ReasonFormat.wholePercent(position)) of the \(dealingTimeframe.rawValue) dealing range \(range)"
        guard abs(position - 0.5) >= equilibriumBand else { return (0, text + ": equilibrium") }
        let score = premiumDiscountWeight * min(1, max(-1, (0.5 - position) * 2))
        return (score, text + (position < 0.5 ? ": discount, favours long" : ": premium, favours short"))
    }

    func describe(_ event: Break, age: Int, _ tf: String) -> String {
        let side = event.direction > 0 ? "bullish" : "bearish"
        let what = event.reversal ? "change of character" : "break of structure"
        let through = event.direction > 0 ? "above" : "below"
        let when = age == 0 ? "on the last candle" : "\(age) candle\(age == 1 ? "" : "s") ago"
        let meaning = event.reversal ? "reversal" : "continuation"
        return "\(tf): \(side) \(what), close \(through) \(ReasonFormat.price(event.level, trimmingZeros: true)) \(when) (\(meaning))"
    }
}
