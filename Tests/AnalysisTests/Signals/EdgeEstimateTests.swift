import Analysis
import Testing

@Suite struct EdgeEstimateTests {
    @Test func aClearEdgeHasAnIntervalAboveZero() {
        let signals = (0..<60).map { $0 % 3 == 0 ? -1.0 : 2.0 }  // mean +1
        let baseline = (0..<60).map { $0 % 2 == 0 ? -1.0 : 0.5 }  // mean -0.25
        let edge = EdgeEstimate(signals: signals, baseline: baseline)
        #expect(abs(edge.meanRDifference - 1.25) < 1e-12)
        #expect(edge.low > 0 && edge.low < 1.25 && edge.high > 1.25 && edge.verdict == .edge)
        #expect(edge.signals == 60 && edge.baselineSignals == 60 && edge.confidence == 0.95)
        let worse = EdgeEstimate(signals: baseline, baseline: signals)
        #expect(worse.high < 0 && worse.verdict == .worse)
    }

    @Test func noiseIsInconclusiveAndTheIntervalShrinksWithMoreSignals() {
        let few = [2.0, -1, -1, 2, -1]
        let alike = EdgeEstimate(signals: few, baseline: [-1, 2, -1, -1, 2])
        #expect(alike.low < 0 && alike.high > 0 && alike.verdict == .inconclusive)
        // The same win/loss mix, twenty times the signals: a narrower interval around the same difference.
        let many = EdgeEstimate(signals: Array(repeating: few, count: 20).flatMap { $0 }, baseline: Array(repeating: [-1.0, 2, -1, -1, 2], count: 20).flatMap { $0 })
        #expect(many.high - many.low < (alike.high - alike.low) / 3)
    }

    @Test func theSameSeedGivesTheSameIntervalAndEmptyGroupsGiveNoVerdict() {
        let signals = (0..<25).map { Double($0 % 5) - 1.5 }, baseline = (0..<40).map { Double($0 % 4) - 1.7 }
        #expect(EdgeEstimate(signals: signals, baseline: baseline, seed: 7) == EdgeEstimate(signals: signals, baseline: baseline, seed: 7))
        #expect(EdgeEstimate(signals: signals, baseline: baseline, seed: 7).low != EdgeEstimate(signals: signals, baseline: baseline, seed: 8).low)
        let none = EdgeEstimate(signals: [], baseline: baseline)
        #expect(none.verdict == .noData && none.meanRDifference == 0)
    }
}
