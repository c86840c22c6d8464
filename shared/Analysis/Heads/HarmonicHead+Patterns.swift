import Core

extension HarmonicHead {
    /// A pattern found on one timeframe.
    struct Match {
        var pattern: Pattern
        /// X, A, B, C, D (X unused by ABCD).
        var points: [SwingPoint]
        var bullish: Bool
        var accuracy: Double
        /// Whether D is a confirmed zigzag swing (else the forming extreme).
        var confirmed: Bool
        var age: Int
        var ratios: (ab: Double, bc: Double, cd: Double, ad: Double, abcd: Double)
    }

    /// The best-scoring pattern whose D is recent and near price, if any.
    func bestMatch(_ c: StructureKit.Series) -> Match? {
        let n = c.count
        let last = n - 1
        let atr = StructureKit.meanTrueRange(c, period: atrPeriod)
        guard n > atrPeriod, atr.isFinite, atr > 0, c.close[last] > 0 else { return nil }
        let threshold = min(max(zigzagATR * atr / c.close[last], 0.002), 0.2)
        let swings = Indicators.zigzag(high: c.high, low: c.low, threshold: threshold)
        var best: Match?

        // D forming: the extreme since the last confirmed swing.
        if swings.count >= 4, let c0 = swings.last, c0.index < last {
            var d = SwingPoint(kind: c0.kind == .high ? .low : .high, index: c0.index + 1, price: 0, confirmedAt: last)
            d.price = d.kind == .low ? c.low[d.index] : c.high[d.index]
            for i in (c0.index + 1)...last {
                let value = d.kind == .low ? c.low[i] : c.high[i]
                if d.kind == .low ? value < d.price : value > d.price {
                    d.index = i
                    d.price = value
                }
            }
            best = better(best, match(Array(swings.suffix(4)) + [d], c, confirmed: false))
        }
        // D confirmed: the last zigzag swing, not traded beyond since.
        if swings.count >= 5, let d = swings.last {
            var intact = true
            var i = d.index + 1
            while i <= last, intact {
                intact = d.kind == .low ? c.low[i] >= d.price : c.high[i] <= d.price
                i += 1
            }
            if intact { best = better(best, match(Array(swings.suffix(5)), c, confirmed: true)) }
        }
        return best
    }

    private func better(_ a: Match?, _ b: Match?) -> Match? {
        guard let b else { return a }
        guard let a else { return b }
        return score(b) > score(a) ? b : a
    }

    /// A match's unweighted score: (1, or `abcdWeight` for ABCD) × (0.5 + 0.5 × accuracy).
    func score(_ m: Match) -> Double { (m.pattern.usesX ? 1 : abcdWeight) * (0.5 + 0.5 * m.accuracy) }

    /// The best pattern on points X, A, B, C, D, when D is recent and price near it.
    private func match(_ p: [SwingPoint], _ c: StructureKit.Series, confirmed: Bool) -> Match? {
        let last = c.count - 1
        let (x, a, b, cc, d) = (p[0].price, p[1].price, p[2].price, p[3].price, p[4].price)
        let age = last - p[4].index
        let bullish = p[4].kind == .low
        let xa = abs(a - x)
        let ab = abs(a - b)
        let bc = abs(cc - b)
        let cd = abs(cc - d)
        guard age <= recentBars, xa > 0, ab > 0, bc > 0, cd > 0 else { return nil }
        let away = bullish ? c.close[last] - d : d - c.close[last]
        guard away <= przRetrace * cd else { return nil }
        let ratios = (ab: ab / xa, bc: bc / ab, cd: cd / bc, ad: abs(a - d) / xa, abcd: cd / ab)
        var best: Match?
        for pattern in patterns {
            // Every ratio must fit; accuracy averages the single-valued ones.
            var fits = true
            var total = 0.0
            var targets = 0
            func take(_ ratio: Double, _ band: ClosedRange<Double>?) {
                guard fits, let band else { return }
                guard let value = fit(ratio, band) else {
                    fits = false
                    return
                }
                if value >= 0 {
                    total += value
                    targets += 1
                }
            }
            take(ratios.bc, pattern.bc)
            if pattern.usesX {
                take(ratios.cd, pattern.cd)
                take(ratios.ab, pattern.ab)
                take(ratios.ad, pattern.ad)
            } else {
                take(ratios.abcd, pattern.cd)
            }
            guard fits else { continue }
            let accuracy = targets == 0 ? 1 : total / Double(targets)
            let found = Match(
                pattern: pattern, points: p, bullish: bullish, accuracy: accuracy, confirmed: confirmed, age: age,
                ratios: ratios)
            if best == nil || score(found) > score(best!) { best = found }
        }
        return best
    }

    /// nil when `ratio` misses `band` by more than the tolerance; otherwise, for a single
    /// target, 1 − miss / allowed miss (0...1), and for a band −1 (inside, not a target).
    private func fit(_ ratio: Double, _ band: ClosedRange<Double>) -> Double? {
        let low = band.lowerBound * (1 - tolerance)
        let high = band.upperBound * (1 + tolerance)
        guard ratio >= low, ratio <= high else { return nil }
        guard band.lowerBound == band.upperBound else { return -1 }
        let target = band.lowerBound
        return max(0, 1 - abs(ratio - target) / (target * tolerance))
    }

    /// "bullish Gartley on 1h: X 100 A 120 …, accuracy 96 %, D forming 0 candles ago: long".
    func describe(_ m: Match, _ interval: CandleInterval) -> String {
        let p = { (value: Double) in ReasonFormat.price(value, trimmingZeros: true) }
        let r = { (v: Double) in ReasonFormat.decimal(v, 2) }
        let side = m.bullish ? "bullish" : "bearish"
        let pts = m.points
        var text = "\(side) \(m.pattern.name) on \(interval.rawValue): "
        if m.pattern.usesX {
            text += "X \(p(pts[0].price)) A \(p(pts[1].price)) B \(p(pts[2].price)) C \(p(pts[3].price)) D \(p(pts[4].price))"
            text += " (AB \(r(m.ratios.ab)) XA, BC \(r(m.ratios.bc)) AB, CD \(r(m.ratios.cd)) BC, AD \(r(m.ratios.ad)) XA)"
        } else {
            text += "A \(p(pts[1].price)) B \(p(pts[2].price)) C \(p(pts[3].price)) D \(p(pts[4].price))"
            text += " (BC \(r(m.ratios.bc)) AB, CD \(r(m.ratios.abcd)) AB)"
        }
        text += ", accuracy \(ReasonFormat.wholePercent(m.accuracy)), D \(m.confirmed ? "confirmed" : "forming")"
        text += m.age == 0 ? " on the last candle" : " \(m.age) candle\(m.age == 1 ? "" : "s") ago"
        return text + (m.bullish ? ": long" : ": short")
    }
}
