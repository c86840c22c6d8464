import Foundation
import Testing
import Analysis
import Core

private typealias F = SignalFixtures

@Suite struct BacktesterTests {
    func json(_ report: BacktestReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Five momentum heads that all have to agree (the default minimum of 5).
    var momentum: [any Head] {
        zip(HeadKind.allCases, [3, 5, 8, 13, 21]).map { F.MomentumHead(kind: $0, lookback: $1) }
    }

    @Test func headsNeverSeeTheFuture() {
        let recorder = F.RecordingHead()
        let candles = F.randomWalk(count: 600)
        let backtester = Backtester(
            heads: [recorder],
            options: BacktestOptions(oneMinuteWindow: 50, higherWindow: 10, minimumHistory: 1), atr: F.testATR)
        let report = backtester.run(candles)
        let sightings = recorder.sightings
        #expect(sightings.count == 600)
        #expect(report.stepsAnalysed == 600)

        for (index, sighting) in sightings.enumerated() {
            #expect(sighting.time == candles[index].closeTime)
            #expect(sighting.newest[.oneMinute] == sighting.time)
            #expect(sighting.counts[.oneMinute] == min(50, index + 1))
            for interval in [CandleInterval.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours] {
                let length = interval.milliseconds
                // The newest bucket that has fully closed by now, if any.
                let closedBuckets = (sighting.time + 1 - F.base) / length
                if closedBuckets == 0 {
                    #expect(sighting.newest[interval] == nil, "\(interval) shown before its first bucket closed")
                } else {
                    #expect(sighting.newest[interval] == F.base + closedBuckets * length - 1)
                    #expect(sighting.counts[interval]! <= 10)
                }
                if let newest = sighting.newest[interval] { #expect(newest <= sighting.time) }
            }
        }
    }

    /// Stored higher-timeframe candles older than the 1m history (Binance's own klines, as the
    /// live service reads them) fill the windows first; one whose bucket begins before the first
    /// 1m candle but ends after it joins once it has closed, never earlier; another symbol's is
    /// not used.
    @Test func olderHigherTimeframeHistoryFillsTheWindowsFirst() {
        let candles = F.randomWalk(count: 200)
        let fourHours = CandleInterval.fourHours.milliseconds
        func older(_ index: Int64, symbol: String = candles[0].symbol) -> Candle {
            var candle = candles[0]
            candle.symbol = symbol
            candle.interval = .fourHours
            candle.openTime = F.base - index * fourHours
            candle.closeTime = candle.openTime + fourHours - 1
            return candle
        }
        var overlapping = older(0)
        overlapping.openTime = F.base - fourHours / 2
        overlapping.closeTime = overlapping.openTime + fourHours - 1
        let history = (1...3).map { older($0) } + [overlapping, older(4, symbol: "OTHERUSDT")]
        let recorder = F.RecordingHead()
        _ = Backtester(heads: [recorder], options: BacktestOptions(minimumHistory: 1), atr: F.testATR)
            .run(candles, history: history.shuffled())
        let sightings = recorder.sightings
        #expect(sightings.first?.counts[.fourHours] == 3)
        #expect(sightings.first?.newest[.fourHours] == F.base - 1)
        // The straddling bucket closes 120 minutes in: shown from then on, not before.
        let closes = overlapping.closeTime
        #expect(sightings.filter { $0.time < closes }.allSatisfy { $0.counts[.fourHours] == 3 && $0.newest[.fourHours] == F.base - 1 })
        #expect(sightings.filter { $0.time >= closes }.allSatisfy { $0.counts[.fourHours] == 4 && $0.newest[.fourHours] == closes })
        #expect(sightings.contains { $0.time >= closes })

        let without = F.RecordingHead()
        _ = Backtester(heads: [without], options: BacktestOptions(minimumHistory: 1), atr: F.testATR).run(candles)
        #expect(without.sightings.first?.counts[.fourHours] == nil)
    }

    @Test func stepAndRangeChooseTheAnalysedCandles() {
        let candles = F.randomWalk(count: 600)
        let stepped = F.RecordingHead()
        _ = Backtester(heads: [stepped], options: BacktestOptions(stepMinutes: 5, minimumHistory: 1), atr: F.testATR)
            .run(candles)
        #expect(stepped.sightings.count == 120)
        #expect(stepped.sightings.allSatisfy { ($0.time + 1 - F.base) % (5 * F.minute) == 0 })
        // Each step sees the 5m candle that closed with it.
        #expect(stepped.sightings.allSatisfy { $0.newest[.fiveMinutes] == $0.time })

        let ranged = F.RecordingHead()
        let from = F.base + 100 * F.minute
        let to = F.base + 200 * F.minute
        let report = Backtester(
            heads: [ranged], options: BacktestOptions(from: from, to: to, minimumHistory: 1), atr: F.testATR
        ).run(candles)
        #expect(ranged.sightings.count == 100)
        #expect(ranged.sightings.allSatisfy { $0.time >= from && $0.time < to })
        #expect(ranged.sightings.first?.counts[.oneMinute] == 101)  // warmed up by the earlier candles
        #expect(report.from == from)
        #expect(report.to == to)
        #expect(report.candlesProcessed == 600)

        let warming = F.RecordingHead()
        _ = Backtester(heads: [warming], options: BacktestOptions(minimumHistory: 500), atr: F.testATR).run(candles)
        #expect(warming.sightings.count == 101)
    }

    @Test func scriptedSignalIsWonAndScored() throws {
        // Flat at 100 with a 1-point range: ATR 1, stop 98.5, risk 1.5, target1 103.
        var candles = (0..<40).map { F.oneMinute($0, open: 100, high: 100.5, low: 99.5, close: 100) }
        candles[30] = F.oneMinute(30, open: 100, high: 104, low: 99.5, close: 103.5)
        let signalTime = candles[19].closeTime
        let head = F.ScriptedHead(.ict) { input in
            input.time == signalTime ? F.vote(.ict, .long) : F.vote(.ict, .neutral)
        }
        let report = Backtester(
            heads: [head], consensus: ConsensusRules(minimumAgreeing: 1),
            options: BacktestOptions(minimumHistory: 1), atr: F.testATR
        ).run(candles)

        #expect(report.figures.signals == 1)
        #expect(report.figures.won == 1)
        #expect(report.figures.winRate == 1)
        #expect(report.figures.totalR == 2)
        #expect(report.figures.maxDrawdownR == 0)
        let result = try #require(report.results.first)
        #expect(result.signal.createdAt == signalTime)
        #expect(result.signal.entry == 100)
        #expect(result.signal.stop == 98.5)
        #expect(result.signal.target1 == 103)
        #expect(result.signal.agreeing == [.ict])
        #expect(result.outcome.resolvedAt == candles[30].closeTime)
        #expect(report.heads.count == 1)
        #expect(report.heads[0].head == "ict")
        #expect(report.heads[0].votes == 1)
        #expect(report.heads[0].scored == 1)
        #expect(report.heads[0].hitRate == 1)
        #expect(report.heads[0].agreedSignals == 1)
        #expect(abs(report.figures.signalsPerDay - 1440.0 / 40) < 1e-9)

        let text = try json(report)
        for key in [
            "\"signals\":1", "\"won\":1", "\"lost\":0", "\"expired\":0", "\"win_rate\":1", "\"mean_r\":2", "\"total_r\":2",
            "\"max_drawdown_r\":0", "\"signals_per_day\":", "\"hit_rate\":1", "\"baseline\":{", "\"candles_processed\":40",
            "\"from\":", "\"to\":", "\"symbols\":[", "\"results\":[", "\"return_r\":2",
        ] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(try JSONDecoder().decode(BacktestReport.self, from: Data(text.utf8)) == report)
    }

    @Test func sameInputSameReport() throws {
        let candles = F.randomWalk(count: 3000, seed: 11) + F.randomWalk(count: 3000, seed: 12, symbol: "ETHUSDT")
        let backtester = Backtester(heads: momentum, options: BacktestOptions(minimumHistory: 50), atr: F.testATR)
        let first = backtester.run(candles)
        #expect(first.figures.signals > 5)
        #expect(first.symbols.map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
        #expect(first.results.count == first.figures.won + first.figures.lost + first.figures.expired)
        #expect(try json(first) == json(backtester.run(candles)))
        // Input order does not matter either.
        #expect(try json(first) == json(backtester.run(candles.reversed())))
        // Head hit rates lie between 0 and 1 and count only directional votes.
        for head in first.heads {
            #expect(head.votes > 0 && head.scored <= head.votes && (0...1).contains(head.hitRate))
            #expect(head.agreedSignals == first.figures.signals)
        }
    }

    @Test func baselineIsSeededAndComparable() throws {
        let candles = F.randomWalk(count: 4000, seed: 21)
        func run(seed: UInt64) -> BacktestReport {
            Backtester(heads: momentum, options: BacktestOptions(minimumHistory: 50, baselineSeed: seed), atr: F.testATR)
                .run(candles)
        }
        let first = run(seed: 1)
        let again = run(seed: 1)
        let other = run(seed: 2)
        #expect(first.baseline == again.baseline)
        #expect(first.baseline.seed == 1)
        #expect(first.figures == other.figures)
        #expect(first.baseline.figures != other.baseline.figures)
        #expect(first.baseline.entryProbability > 0 && first.baseline.entryProbability <= 1)
        // About as many random entries as strategy signals.
        let strategy = Double(first.figures.signals)
        #expect(abs(Double(first.baseline.figures.signals) - strategy) <= max(5, strategy / 2))
    }

    @Test func progressIsMonotonicAndEndsAtOne() {
        var fractions: [Double] = []
        _ = Backtester(heads: momentum, options: BacktestOptions(minimumHistory: 1), atr: F.testATR)
            .run(F.randomWalk(count: 1000)) { fractions.append($0) }
        #expect(fractions.last == 1)
        #expect(fractions.count > 10 && fractions.count <= 202)
        #expect(zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func figuresTrackDrawdownInResolutionOrder() {
        let signal = Signal(direction: .long, symbol: "X", market: .spot, entry: 100, atr: 1, createdAt: 0, rules: SignalRules())!
        let returns: [(Outcome.Status, Double)] = [(.won, 2), (.lost, -1), (.lost, -1), (.won, 2), (.expired, -0.5)]
        let resolved = returns.enumerated().map { index, item in
            ResolvedSignal(
                signal: signal, outcome: Outcome(status: item.0, resolvedAt: Int64(index), exitPrice: 0, returnR: item.1))
        }
        let figures = BacktestReport.Figures(resolved: resolved, open: 1, days: 2)
        #expect(figures.signals == 6)
        #expect(figures.won == 2 && figures.lost == 2 && figures.expired == 1 && figures.open == 1)
        #expect(figures.winRate == 0.4)
        #expect(figures.totalR == 1.5)
        #expect(figures.meanR == 0.3)
        #expect(figures.maxDrawdownR == 2)
        #expect(figures.signalsPerDay == 3)
    }
}
