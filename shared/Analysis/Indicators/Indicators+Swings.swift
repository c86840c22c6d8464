import Core

extension Indicators {
    /// Pivot highs and lows with `left`/`right` bar strength (fractals when both are 2).
    ///
    /// Bar `i` is a swing high when its high is strictly above the highs of the `left` bars
    /// before it and not below those of the `right` bars after it (so a flat top of equal highs
    /// yields one swing, at its first bar); swing lows mirror this. Bars without a full `left`
    /// window are never swings. A swing is confirmed at bar `i + right`, the first bar at which
    /// it can be known, and is only reported once that bar exists. Swings come in order of
    /// `index` (a high before a low on the same bar).
    public static func swings(high: [Double], low: [Double], left: Int = 2, right: Int = 2) -> [SwingPoint] {
        precondition(left >= 1 && right >= 1, "swing strength must be at least 1 on each side")
        checkSameLength(high.count, low.count)
        var out: [SwingPoint] = []
        guard high.count > left + right else { return out }
        out.reserveCapacity(high.count / (left + right))
        for i in left..<(high.count - right) {
            if isSwingHigh(high, at: i, left: left, right: right) {
                out.append(SwingPoint(kind: .high, index: i, price: high[i], confirmedAt: i + right))
            }
            if isSwingLow(low, at: i, left: left, right: right) {
                out.append(SwingPoint(kind: .low, index: i, price: low[i], confirmedAt: i + right))
            }
        }
        return out
    }

    /// ``swings(high:low:left:right:)`` over candles, oldest first.
    public static func swings(_ candles: [Candle], left: Int = 2, right: Int = 2) -> [SwingPoint] {
        let c = CandleColumns(candles)
        return swings(high: c.high, low: c.low, left: left, right: right)
    }

    @inline(__always)
    static func isSwingHigh(_ high: [Double], at i: Int, left: Int, right: Int) -> Bool {
        let value = high[i]
        for j in (i - left)..<i where high[j] >= value { return false }
        for j in (i + 1)...(i + right) where high[j] > value { return false }
        return true
    }

    @inline(__always)
    static func isSwingLow(_ low: [Double], at i: Int, left: Int, right: Int) -> Bool {
        let value = low[i]
        for j in (i - left)..<i where low[j] <= value { return false }
        for j in (i + 1)...(i + right) where low[j] < value { return false }
        return true
    }
}
