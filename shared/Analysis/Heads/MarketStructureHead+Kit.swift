import Core

/// Plumbing shared by the price-structure heads (ICT, Wyckoff, harmonic, market structure):
/// picking usable timeframes and tallying signed evidence into a vote (numbers in reasons are
/// formatted by `ReasonFormat`).
enum StructureKit {
    /// Price and volume columns of one timeframe's newest candles, oldest first.
    struct Series {
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var close: [Double] = []
        var volume: [Double] = []

        init(_ candles: ArraySlice<Candle>) {
            let n = candles.count
            open = [Double](repeating: 0, count: n)
            high = open
            low = open
            close = open
            volume = open
            // One pass through a buffer pointer: no Candle copies, no append checks.
            candles.withUnsafeBufferPointer { buffer in
                open.withUnsafeMutableBufferPointer { o in
                    high.withUnsafeMutableBufferPointer { h in
                        low.withUnsafeMutableBufferPointer { l in
                            close.withUnsafeMutableBufferPointer { c in
                                volume.withUnsafeMutableBufferPointer { v in
                                    for i in 0..<n {
                                        o[i] = buffer[i].open
                                        h[i] = buffer[i].high
                                        l[i] = buffer[i].low
                                        c[i] = buffer[i].close
                                        v[i] = buffer[i].volume
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var count: Int { close.count }
    }

    /// One timeframe a head looks at, with its weight in the tally.
    struct Frame {
        var interval: CandleInterval
        var weight: Double
        /// The newest candles of the timeframe (at most the head's window).
        var series: Series
        /// Close time (Unix ms) of the newest candle.
        var closeTime: Int64
    }

    /// The timeframes of `timeframes` that have at least `minimum` candles, each cut to its
    /// newest `window`; `sufficiency` is the weight share of the usable ones, and `skipped`
    /// says which were left out and why.
    static func frames(
        _ input: AnalysisInput, _ timeframes: [(interval: CandleInterval, weight: Double)], minimum: Int, window: Int
    ) -> (frames: [Frame], sufficiency: Double, skipped: [String]) {
        var frames: [Frame] = []
        var skipped: [String] = []
        var total = 0.0
        var used = 0.0
        for (interval, weight) in timeframes where weight > 0 {
            total += weight
            let candles = input.candles[interval] ?? []
            if candles.count >= minimum {
                used += weight
                frames.append(
                    Frame(
                        interval: interval, weight: weight, series: Series(candles.suffix(window)),
                        closeTime: candles[candles.count - 1].closeTime))
            } else {
                skipped.append("\(interval.rawValue) skipped: \(candles.count) candles, needs \(minimum)")
            }
        }
        return (frames, total > 0 ? used / total : 0, skipped)
    }

    /// Signed evidence: positive scores favour long, negative short.
    struct Tally {
        var net = 0.0
        var gross = 0.0

        mutating func add(_ score: Double) {
            net += score
            gross += abs(score)
        }

        /// |net| / gross: 1 when every sub-signal points the same way, 0 when they cancel.
        var agreement: Double { gross > 0 ? abs(net) / gross : 0 }

        /// The vote the structure heads share:
        /// - direction: the sign of `net` when |net| ≥ `minimumNet`, else neutral;
        /// - probability: 0.5 + 0.4 × min(1, |net| / `saturation`);
        /// - confidence: `sufficiency` × agreement × strength × `factor`, where strength is
        ///   min(1, gross / `fullEvidence`) unless given;
        /// - a neutral vote has probability 0.5 and confidence `sufficiency` × 0.5.
        func vote(
            _ head: HeadKind, minimumNet: Double, saturation: Double, fullEvidence: Double, sufficiency: Double,
            factor: Double = 1, strength: Double? = nil, reasons: [String]
        ) -> Vote {
            guard abs(net) >= minimumNet, net != 0 else {
                return Vote(head: head, direction: .neutral, probability: 0.5, confidence: sufficiency * 0.5, reasons: reasons)
            }
            let probability = 0.5 + 0.4 * min(1, abs(net) / saturation)
            let confidence = sufficiency * agreement * (strength ?? min(1, gross / fullEvidence)) * factor
            return Vote(
                head: head, direction: net > 0 ? .long : .short, probability: probability, confidence: confidence,
                reasons: reasons)
        }
    }

    /// Mean true range of the last `period` candles of `c` (the first candle's range is its
    /// high − low): a light ATR for sizing thresholds. NaN when `c` is empty.
    static func meanTrueRange(_ c: Series, period: Int) -> Double {
        let n = c.count
        guard n > 0, period > 0 else { return .nan }
        let first = max(0, n - period)
        var total = 0.0
        for i in first..<n {
            total += i == 0 ? c.high[i] - c.low[i] : max(c.high[i], c.close[i - 1]) - min(c.low[i], c.close[i - 1])
        }
        return total / Double(n - first)
    }
}
