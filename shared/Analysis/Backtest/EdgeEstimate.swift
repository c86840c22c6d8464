/// Whether the signals beat the random baseline by more than noise: the difference in mean R
/// (signals − baseline) with a 95 % percentile-bootstrap confidence interval.
///
/// Each of `resamples` rounds draws, with replacement, as many R values from each group as it
/// has, and takes the difference of their means; the interval is the 2.5th and 97.5th
/// percentile of those differences. The draws come from `seed`, so a report is reproducible.
/// An interval wholly above 0 is an edge, wholly below a loss against chance, otherwise
/// inconclusive — with few signals, it usually is.
public struct EdgeEstimate: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable {
        case edge
        case worse
        case inconclusive
        /// One of the groups has no resolved signal: nothing to compare.
        case noData = "no_data"
    }

    /// Mean R of the signals minus mean R of the baseline; 0 without data.
    public var meanRDifference: Double
    public var low: Double
    public var high: Double
    public var confidence: Double
    public var resamples: Int
    public var seed: UInt64
    public var signals: Int
    public var baselineSignals: Int
    public var verdict: Verdict

    public init(signals: [Double], baseline: [Double], resamples: Int = 2_000, seed: UInt64 = 0xA1FA_9015E) {
        self.confidence = 0.95
        self.resamples = resamples
        self.seed = seed
        self.signals = signals.count
        self.baselineSignals = baseline.count
        guard !signals.isEmpty, !baseline.isEmpty, resamples > 0 else {
            meanRDifference = 0
            low = 0
            high = 0
            verdict = .noData
            return
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        meanRDifference = mean(signals) - mean(baseline)
        var generator = SplitMix64(seed: seed)
        var differences: [Double] = []
        differences.reserveCapacity(resamples)
        func resampledMean(_ values: [Double]) -> Double {
            var sum = 0.0
            for _ in 0..<values.count { sum += values[Int(generator.next() % UInt64(values.count))] }
            return sum / Double(values.count)
        }
        for _ in 0..<resamples { differences.append(resampledMean(signals) - resampledMean(baseline)) }
        differences.sort()
        func percentile(_ p: Double) -> Double {
            let position = p * Double(differences.count - 1)
            let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
            return differences[lower] + (differences[upper] - differences[lower]) * (position - Double(lower))
        }
        low = percentile(0.025)
        high = percentile(0.975)
        verdict = low > 0 ? .edge : high < 0 ? .worse : .inconclusive
    }

    enum CodingKeys: String, CodingKey {
        case meanRDifference = "mean_r_difference"
        case low = "ci_low"
        case high = "ci_high"
        case confidence, resamples, seed, signals
        case baselineSignals = "baseline_signals"
        case verdict
    }
}
