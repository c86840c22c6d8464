import Core

extension Indicators {
    /// Percentage zigzag: alternating swing highs and lows, each followed by a move of at least
    /// `threshold` (a fraction: 0.02 = 2 %) against it.
    ///
    /// While the leg is up, the highest high so far is the candidate; it becomes a swing high,
    /// confirmed at the first later bar whose low is at or below `candidate × (1 − threshold)`,
    /// and that bar's low starts the down leg (mirrored for lows, with `× (1 + threshold)`).
    /// A bar that makes a new extreme is not also tested for a reversal, since the order of
    /// its high and low is unknown. The first swing is whichever initial extreme is reversed
    /// first. The last, still unconfirmed extreme is not reported, so the result at bar `t`
    /// never depends on later bars.
    public static func zigzag(high: [Double], low: [Double], threshold: Double) -> [SwingPoint] {
        precondition(threshold > 0 && threshold < 1, "zigzag threshold is a fraction in (0, 1)")
        checkSameLength(high.count, low.count)
        var out: [SwingPoint] = []
        guard !high.isEmpty else { return out }
        let down = 1 - threshold
        let up = 1 + threshold

        // Before the first swing, track both extremes.
        var highIndex = 0
        var lowIndex = 0
        var i = 1
        var leg: SwingPoint.Kind? = nil
        var candidate = SwingPoint(kind: .high, index: 0, price: high[0], confirmedAt: 0)
        while i < high.count, leg == nil {
            if high[i] > high[highIndex] { highIndex = i }
            if low[i] < low[lowIndex] { lowIndex = i }
            let fromHigh = highIndex < i && low[i] <= high[highIndex] * down
            let fromLow = lowIndex < i && high[i] >= low[lowIndex] * up
            if fromHigh && (!fromLow || highIndex <= lowIndex) {
                out.append(SwingPoint(kind: .high, index: highIndex, price: high[highIndex], confirmedAt: i))
                candidate = SwingPoint(kind: .low, index: i, price: low[i], confirmedAt: i)
                leg = .low
            } else if fromLow {
                out.append(SwingPoint(kind: .low, index: lowIndex, price: low[lowIndex], confirmedAt: i))
                candidate = SwingPoint(kind: .high, index: i, price: high[i], confirmedAt: i)
                leg = .high
            }
            i += 1
        }

        while i < high.count {
            if candidate.kind == .high {
                if high[i] > candidate.price {
                    candidate.index = i
                    candidate.price = high[i]
                } else if low[i] <= candidate.price * down {
                    candidate.confirmedAt = i
                    out.append(candidate)
                    candidate = SwingPoint(kind: .low, index: i, price: low[i], confirmedAt: i)
                }
            } else {
                if low[i] < candidate.price {
                    candidate.index = i
                    candidate.price = low[i]
                } else if high[i] >= candidate.price * up {
                    candidate.confirmedAt = i
                    out.append(candidate)
                    candidate = SwingPoint(kind: .high, index: i, price: high[i], confirmedAt: i)
                }
            }
            i += 1
        }
        return out
    }

    /// Zigzag over one series (closes, say): ``zigzag(high:low:threshold:)`` with high = low.
    public static func zigzag(_ values: [Double], threshold: Double) -> [SwingPoint] {
        zigzag(high: values, low: values, threshold: threshold)
    }

    /// ``zigzag(high:low:threshold:)`` over candles, oldest first.
    public static func zigzag(_ candles: [Candle], threshold: Double) -> [SwingPoint] {
        let c = CandleColumns(candles)
        return zigzag(high: c.high, low: c.low, threshold: threshold)
    }
}
