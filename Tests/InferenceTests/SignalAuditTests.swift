import Analysis
import CandleStore
import Core
import Foundation
@testable import Inference
import Testing
import TestSupport

/// `alphapulse-inference audit`'s comparison: stored signals against a backtest at the recorded
/// moments, on real klines; a difference in a signal or an outcome is reported, and a symbol
/// whose recorded inputs were repaired after an analysis is reported, not compared.
@Suite struct SignalAuditTests {
    static let config: AlphaPulseConfig = {
        let flags = [
            "consensus.min_heads": "2", "consensus.probability_floor": "0.55", "consensus.confidence_floor": "0.3",
            "signals.atr_interval": "1m", "signals.stop_atr_multiple": "1", "signals.target1_r": "1",
            "signals.expiry_minutes": "30", "signals.cooldown_minutes": "10",
        ]
        return try! AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: flags))
    }()

    /// What a live run on the first 1,500 minutes of LINKUSDT, analysing every 5th minute, stores.
    static func liveRun() throws -> SignalAudit.Data {
        let candles = Array(try KlineCSV.parse(try Fixtures.futuresMonth("LINKUSDT"), market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
            .prefix(1_500))
        let key = SignalBook.Key(market: .futures, symbol: "LINKUSDT")
        let moments = Set(candles.dropFirst(300).map(\.openTime).filter { $0 % 300_000 == 240_000 })
        var data = SignalAudit.Data()
        data.oneMinute = candles
        data.moments[key] = moments
        for moment in moments {
            data.inputs[key, default: [:]][moment] = SignalAudit.identity(moment: moment, oneMinute: candles, higher: [])
        }
        // The live decisions: the same rules, at the same moments.
        var options = BacktestOptions(minimumHistory: 1)
        options.moments = moments
        let stopATR = StopATR(config.signals)
        let report = Backtester(
            heads: Heads.all(), consensus: ConsensusRules(config.signals), signals: SignalRules(config.signals), options: options,
            atr: { stopATR($0) }
        ).run(candles)
        for result in report.results {
            var stored = SignalAudit.identity(result.signal)
            stored.status = result.outcome.status.rawValue
            // As PostgreSQL's numeric keeps it: 15 significant digits.
            stored.exitPrice = Double(String(format: "%.15g", result.outcome.exitPrice))
            stored.resolvedAt = result.outcome.resolvedAt
            data.signals.append(stored)
        }
        for signal in report.openSignals {
            var stored = SignalAudit.identity(signal)
            stored.status = "open"
            data.signals.append(stored)
        }
        return data
    }

    @Test func aFaithfulRunMatchesAndEveryDifferenceIsReported() throws {
        let data = try Self.liveRun()
        let resolved = data.signals.filter { $0.status != "open" }
        try #require(resolved.count >= 2, "the span opens and resolves signals (\(data.signals.count))")
        let faithful = SignalAudit.compare(data, config: Self.config)
        #expect(faithful.problems.isEmpty, "\(faithful.problems)")
        #expect(faithful.liveSignals == data.signals.count && faithful.backtestSignals == data.signals.count)

        var moved = data
        moved.signals[0].entry *= 1.001
        let entry = SignalAudit.compare(moved, config: Self.config)
        #expect(entry.problems.contains { $0.hasPrefix("1 signals live but not in the backtest") }, "\(entry.problems)")
        #expect(entry.problems.contains { $0.hasPrefix("1 signals in the backtest but not live") }, "\(entry.problems)")

        var exited = data
        let index = try #require(exited.signals.firstIndex { $0.status != "open" })
        exited.signals[index].exitPrice = (exited.signals[index].exitPrice ?? 0) * 1.01
        #expect(SignalAudit.compare(exited, config: Self.config).problems.contains { $0.hasPrefix("1 outcomes differ") })

        var missing = data
        missing.signals.removeLast()
        #expect(SignalAudit.compare(missing, config: Self.config).problems.contains { $0.hasPrefix("1 signals in the backtest but not live") })
    }

    /// An analysis that ran before a gap in its window was repaired recorded a window the stored
    /// data no longer gives: its symbol's signals from then on are counted apart, not compared.
    @Test func inputsRepairedAfterAnAnalysisAreReportedNotCompared() throws {
        var data = try Self.liveRun()
        let key = SignalBook.Key(market: .futures, symbol: "LINKUSDT")
        let first = try #require(data.moments[key]?.min())
        data.inputs[key]?[first]?["1m_from"] = first - 600_000
        data.signals[0].entry *= 1.001
        let summary = SignalAudit.compare(data, config: Self.config)
        #expect(summary.inputsChangedSince == 1)
        #expect(summary.signalsNotComparable == data.signals.count)
        #expect(summary.problems.isEmpty, "\(summary.problems)")
        #expect(summary.changedExamples.first?.contains("1m_from") == true)
    }

    /// The audit finds each moment's windows by binary search. They must be the windows the
    /// definition gives — the newest candles opening before the moment's minute ends (1m) or
    /// before the bucket that minute ends in (higher) — for a moment before the history, in a
    /// gap, at its edges or after it, whatever order the candles come in.
    @Test func windowsFoundBySearchAreTheDefinitionsWindows() throws {
        var candles = Array(try KlineCSV.parse(try Fixtures.futuresMonth("LINKUSDT"), market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
            .prefix(3_000))
        // A 90-minute hole and a missing minute every 97.
        candles.removeSubrange(1_200..<1_290)
        candles = candles.enumerated().filter { $0.offset % 97 != 5 }.map(\.element)
        var aggregator = CandleAggregator()
        let higher = candles.flatMap { aggregator.add($0) }
        let windows = AnalysisWindows.standard
        func definition(_ moment: Int64) -> [String: Int64] {
            let end = moment + 60_000
            var identity: [String: Int64] = [:]
            let minutes = candles.filter { $0.openTime < end }.suffix(windows.oneMinute)
            if let last = minutes.last, let first = minutes.first { identity["1m"] = last.openTime; identity["1m_from"] = first.openTime }
            identity["1m_count"] = Int64(minutes.count)
            for interval in windows.higherIntervals {
                let list = higher.filter { $0.interval == interval && $0.openTime < interval.bucketStart(end) }.suffix(windows.higher)
                if let last = list.last, let first = list.first {
                    identity[interval.rawValue] = last.openTime
                    identity[interval.rawValue + "_from"] = first.openTime
                }
                identity[interval.rawValue + "_count"] = Int64(list.count)
            }
            return identity
        }
        let stored = SignalAudit.StoredWindows(oneMinute: candles.shuffled(), higher: higher.shuffled())
        let first = try #require(candles.first?.openTime), last = try #require(candles.last?.openTime)
        var compared = 0, full = 0
        for moment in stride(from: first - 7_200_000, through: last + 18_000_000, by: 60_000) {
            let expected = definition(moment)
            #expect(stored.identity(moment: moment) == expected, "at \(moment)")
            compared += 1
            if expected["1m_count"] == Int64(windows.oneMinute) && expected["5m_count"] == Int64(windows.higher) { full += 1 }
        }
        // The moments reach full windows as well as empty ones.
        #expect(compared > 3_000 && full > 500, "\(compared) moments, \(full) with full windows")
        #expect(stored.identity(moment: first - 60_000)["1m_count"] == 0)
    }
}
