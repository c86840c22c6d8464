import Analysis
import Core
import Synchronization
import Testing

private typealias F = SignalFixtures

/// What an analysis at a moment sees of the derivatives series, the same for live and backtest.
@Suite struct DerivativesHistoryTests {
    static let hour: Int64 = 3_600_000

    @Test func eachSeriesGivesItsNewestSamplesUpToTheMomentInclusive() throws {
        let funding = (0..<20).map { TimedValue(time: Int64($0) * 8 * Self.hour, value: Double($0) * 1e-5) }
        let interest = (0..<200).map { TimedValue(time: Int64($0) * 300_000, value: 1_000 + Double($0)) }
        let history = DerivativesHistory([.funding: funding.shuffled(), .openInterest: interest])
        let moment = 10 * 8 * Self.hour  // exactly a funding time and a sample time
        let seen = try #require(history.at(moment))
        #expect(seen.funding.map(\.time) == (0...10).suffix(12).map { Int64($0) * 8 * Self.hour }, "oldest first, moment included")
        #expect(seen.openInterest.isEmpty, "open interest samples end long before the moment: stale")
        #expect(seen.premium.isEmpty && seen.longShortRatio.isEmpty)

        let earlier: Int64 = 199 * 300_000 + 60_000
        let recent = try #require(history.at(earlier))
        #expect(recent.openInterest.count == 48 && recent.openInterest.last?.time == Int64(199 * 300_000))
        #expect(recent.openInterest.first?.time == Int64((199 - 47) * 300_000))
        #expect(recent.newestTimes[DerivativeSeries.openInterest] == Int64(199 * 300_000))
        // 16 minutes after the last sample: stale, so left out.
        #expect(history.at(Int64(199 * 300_000 + 16 * 60_000))?.openInterest.isEmpty == true)
        #expect(history.at(-1) == nil, "nothing known before the first sample")
    }

    /// What a live analysis recorded it saw bounds what a replay of it sees: samples stored
    /// after it ran are left out, and a series it did not see is left out entirely.
    @Test func knownUntilLeavesOutWhatTheRecordedAnalysisDidNotSee() throws {
        let interest = (0..<20).map { TimedValue(time: Int64($0) * 300_000, value: 1_000 + Double($0)) }
        let ratio = (0..<20).map { TimedValue(time: Int64($0) * 300_000, value: 1 + Double($0) / 100) }
        let history = DerivativesHistory([.openInterest: interest, .longShort: ratio])
        let moment: Int64 = 19 * 300_000 + 59_999
        let all = try #require(history.at(moment))
        #expect(all.newestTimes == [.openInterest: 19 * 300_000, .longShort: 19 * 300_000])

        let recorded = try #require(history.at(moment, knownUntil: [.openInterest: 18 * 300_000]))
        #expect(recorded.openInterest.last?.time == Int64(18 * 300_000))
        #expect(all.openInterest.count == 20 && recorded.openInterest.count == 19)
        #expect(recorded.longShortRatio.isEmpty, "a series the analysis did not see stays unseen")
        // A bound past the moment never lets the future in.
        #expect(history.at(10 * 300_000, knownUntil: [.openInterest: 19 * 300_000])?.openInterest.last?.time == Int64(10 * 300_000))
        #expect(history.at(moment, knownUntil: [:]) == nil)
    }

    @Test func repeatedTimesKeepTheLastValueAndNonFiniteValuesAreDropped() throws {
        let history = DerivativesHistory([.premium: [
            TimedValue(time: 0, value: 0.001), TimedValue(time: 0, value: 0.002), TimedValue(time: 60_000, value: .nan),
        ]])
        let seen = try #require(history.at(120_000))
        #expect(seen.premium == [TimedValue(time: 0, value: 0.002)])
    }

    /// The backtest hands each futures step what `at` gives for its close, and nothing to spot.
    @Test func theBacktestReadsTheHistoryAtEachStep() throws {
        final class DerivativesProbe: Head {
            let kind: HeadKind = .sentiment
            let seen = Mutex<[(Int64, Int64?)]>([])
            func evaluate(_ input: AnalysisInput) -> Vote {
                seen.withLock { $0.append((input.time ?? -1, input.derivatives?.funding.last?.time)) }
                return .missingData(kind, "probe")
            }
        }
        let candles = F.randomWalk(count: 240, start: 0) + F.randomWalk(count: 240, start: 0, symbol: "ETHUSDT", market: .spot)
        let funding = (0..<4).map { (index: Int64) in TimedValue(time: F.base + index * Self.hour, value: 0.0001) }
        let probe = DerivativesProbe()
        let backtester = Backtester(heads: [probe], options: BacktestOptions(oneMinuteWindow: 10, higherWindow: 5, minimumHistory: 1), atr: F.testATR)
        _ = backtester.run(candles, derivatives: ["BTCUSDT": DerivativesHistory([.funding: funding]), "ETHUSDT": DerivativesHistory([.funding: funding])])
        let seen = probe.seen.withLock { $0 }
        #expect(seen.count == 480)
        let futures = seen.prefix(240)
        for (time, newest) in futures {
            #expect(newest == F.base + (time - F.base) / Self.hour * Self.hour, "the newest funding at or before \(time)")
        }
        #expect(seen.suffix(240).allSatisfy { $0.1 == nil }, "spot gets no derivatives")
    }
}
