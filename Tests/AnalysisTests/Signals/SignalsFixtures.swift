import Analysis
import Core
import Synchronization

/// Shared builders and fake heads for the Signals and Backtest tests, namespaced so they
/// cannot clash with other test folders in the same target.
enum SignalFixtures {
    /// 2024-01-01 00:00 UTC, so minute n opens at `base + n × 60 000`.
    static let base: Int64 = 1_704_067_200_000
    static let minute: Int64 = 60_000

    /// A 1m candle opening at `base + index` minutes.
    static func oneMinute(
        _ index: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double = 1,
        symbol: String = "BTCUSDT", market: Market = .futures
    ) -> Candle {
        let openTime = base + index * minute
        return Candle(
            market: market, symbol: symbol, interval: .oneMinute, openTime: openTime, closeTime: openTime + minute - 1,
            open: open, high: high, low: low, close: close, volume: volume, quoteVolume: volume * close, trades: 10,
            takerBuyVolume: volume / 2, takerBuyQuoteVolume: volume * close / 2)
    }

    /// A flat candle at `price` (open = high = low = close).
    static func flat(_ index: Int64, _ price: Double, symbol: String = "BTCUSDT", market: Market = .futures) -> Candle {
        oneMinute(index, open: price, high: price, low: price, close: price, symbol: symbol, market: market)
    }

    /// `count` 1m candles of a deterministic random walk starting at minute `start`.
    static func randomWalk(
        count: Int, start: Int64 = 0, seed: UInt64 = 7, price: Double = 100, symbol: String = "BTCUSDT",
        market: Market = .futures
    ) -> [Candle] {
        var random = SplitMix64(seed: seed)
        var close = price
        return (0..<count).map { offset in
            let open = close
            close = max(1, open * (1 + (random.nextUnit() - 0.5) * 0.01))
            let high = max(open, close) * (1 + random.nextUnit() * 0.002)
            let low = min(open, close) * (1 - random.nextUnit() * 0.002)
            return oneMinute(
                start + Int64(offset), open: open, high: high, low: low, close: close, volume: 1 + random.nextUnit() * 9,
                symbol: symbol, market: market)
        }
    }

    static func vote(_ head: HeadKind, _ direction: Direction, probability: Double = 0.8, confidence: Double = 0.9) -> Vote {
        Vote(head: head, direction: direction, probability: probability, confidence: confidence, reasons: ["test"])
    }

    /// Mean high − low of the last 14 1m candles: a stand-in for the real ATR in backtests.
    @Sendable static func testATR(_ input: AnalysisInput) -> Double {
        let candles = input.candles(.oneMinute).suffix(14)
        guard !candles.isEmpty else { return .nan }
        return candles.reduce(0) { $0 + $1.high - $1.low } / Double(candles.count)
    }

    /// Votes whatever its closure says.
    struct ScriptedHead: Head {
        let kind: HeadKind
        let decide: @Sendable (AnalysisInput) -> Vote

        init(_ kind: HeadKind, _ decide: @escaping @Sendable (AnalysisInput) -> Vote) {
            self.kind = kind
            self.decide = decide
        }

        func evaluate(_ input: AnalysisInput) -> Vote { decide(input) }
    }

    /// Long when the last close is above the close `lookback` minutes earlier, else short.
    struct MomentumHead: Head {
        let kind: HeadKind
        let lookback: Int

        func evaluate(_ input: AnalysisInput) -> Vote {
            let candles = input.candles(.oneMinute)
            guard candles.count > lookback else { return .missingData(kind, "needs \(lookback + 1) candles") }
            let now = candles[candles.count - 1].close
            let then = candles[candles.count - 1 - lookback].close
            return Vote(head: kind, direction: now > then ? .long : .short, probability: 0.7, confidence: 0.8, reasons: [])
        }
    }

    /// Records, at every evaluation, the analysis time and the close times of the newest candle of
    /// every timeframe it was shown.
    final class RecordingHead: Head {
        struct Sighting: Sendable {
            var time: Int64
            var newest: [CandleInterval: Int64]
            var counts: [CandleInterval: Int]
        }

        let kind: HeadKind = .technical
        private let log = Mutex<[Sighting]>([])

        var sightings: [Sighting] { log.withLock { $0 } }

        func evaluate(_ input: AnalysisInput) -> Vote {
            var newest: [CandleInterval: Int64] = [:]
            var counts: [CandleInterval: Int] = [:]
            for (interval, candles) in input.candles {
                newest[interval] = candles.map(\.closeTime).max()
                counts[interval] = candles.count
            }
            let sighting = Sighting(time: input.time ?? .min, newest: newest, counts: counts)
            log.withLock { $0.append(sighting) }
            return .missingData(kind, "recording only")
        }
    }
}
