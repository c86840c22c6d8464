import Foundation
import Testing
@testable import Replay

/// 2026-02-10 12:34:56.789 UTC — deliberately not on a minute boundary.
private let sessionStart: Int64 = 1_770_726_896_789

private func quoteVolume24h(_ klines: [Kline], scale: Int, before time: Int64) -> Double {
    let minute = time / 60_000 * 60_000
    return klines.lazy.filter { $0.openTime >= minute - 86_400_000 && $0.openTime < minute }
        .reduce(0.0) { $0 + Double($1.quoteVolume) } / pow10(scale)
}

@Suite struct SyntheticMarketTests {
    @Test(arguments: ReplayMarket.allCases)
    func sameSeedGivesIdenticalOutputAndAnotherSeedDoesNot(market: ReplayMarket) {
        let first = SyntheticMarket.generate(market: market, count: 12, seed: 42, start: sessionStart, days: 1)
        let again = SyntheticMarket.generate(market: market, count: 12, seed: 42, start: sessionStart, days: 1)
        let other = SyntheticMarket.generate(market: market, count: 12, seed: 43, start: sessionStart, days: 1)
        #expect(first.symbols == again.symbols)
        #expect(first.series == again.series)
        #expect(first.scales == again.scales)
        #expect(first.series != other.series)
        #expect(first.symbols.map(\.symbol) != other.symbols.map(\.symbol))
        if market == .futures {
            let a = first.futures, b = again.futures, c = other.futures
            #expect(a != nil && b != nil && c != nil)
            for symbol in first.symbols.map(\.symbol) {
                let now = sessionStart + 3_600_000
                #expect(a?.openInterest(symbol: symbol, now: now) == b?.openInterest(symbol: symbol, now: now))
                #expect(a?.fundingRates(symbol: symbol, startTime: nil, endTime: nil, limit: 100, now: now)
                    == b?.fundingRates(symbol: symbol, startTime: nil, endTime: nil, limit: 100, now: now))
                #expect(a?.longShortRatios(symbol: symbol, periodMillis: 300_000, startTime: nil, endTime: nil, limit: 500, now: now)
                    == b?.longShortRatios(symbol: symbol, periodMillis: 300_000, startTime: nil, endTime: nil, limit: 500, now: now))
            }
            #expect(a?.openInterest(symbol: "BTCUSDT", now: sessionStart) != c?.openInterest(symbol: "BTCUSDT", now: sessionStart))
        } else {
            #expect(first.futures == nil)
        }
    }

    @Test(arguments: ReplayMarket.allCases)
    func everyKlineIsInternallyValid(market: ReplayMarket) {
        let generated = SyntheticMarket.generate(market: market, count: 40, seed: 7, start: sessionStart, days: 2)
        #expect(generated.series.count == generated.symbols.count)
        for info in generated.symbols {
            let klines = generated.series[info.symbol] ?? []
            let scales = generated.scales[info.symbol]
            #expect(scales == info.scales)
            #expect(!klines.isEmpty)
            let priceUnit = pow10(info.scales.price), volumeUnit = pow10(info.scales.volume), quoteUnit = pow10(info.scales.quote)
            var previousClose: Int64?
            var bad = 0
            for k in klines {
                if !(k.low > 0 && k.low <= min(k.open, k.close) && k.high >= max(k.open, k.close)) { bad += 1 }
                if !(k.volume >= 0 && k.quoteVolume >= 0 && k.trades >= 0) { bad += 1 }
                if !(k.takerBuyVolume >= 0 && k.takerBuyVolume <= k.volume) { bad += 1 }
                if !(k.takerBuyQuoteVolume >= 0 && k.takerBuyQuoteVolume <= k.quoteVolume) { bad += 1 }
                if (k.volume == 0) != (k.trades == 0) { bad += 1 }
                if let previousClose, previousClose != k.open { bad += 1 }
                if k.volume > 0 {
                    // quote = volume × a price inside the candle, up to rounding.
                    let volume = Double(k.volume) / volumeUnit
                    let quote = Double(k.quoteVolume) / quoteUnit
                    let slack = 1.0 / quoteUnit + volume / priceUnit
                    if quote < volume * Double(k.low) / priceUnit - slack || quote > volume * Double(k.high) / priceUnit + slack {
                        bad += 1
                    }
                }
                previousClose = k.close
            }
            #expect(bad == 0, "\(info.symbol): \(bad) invalid klines")
        }
    }

    @Test(arguments: ReplayMarket.allCases)
    func seriesCoverTheHistoryAndOneDayAfterStartWithoutGaps(market: ReplayMarket) {
        let days = 2
        let generated = SyntheticMarket.generate(market: market, count: 5, seed: 1, start: sessionStart, days: days)
        let minute = sessionStart / 60_000 * 60_000
        for (symbol, klines) in generated.series {
            #expect(klines.count == (days + 1) * 1_440, "\(symbol)")
            #expect(klines.first?.openTime == minute - Int64(days) * 86_400_000)
            #expect(klines.last?.openTime == minute + 86_400_000 - 60_000)
            #expect(zip(klines, klines.dropFirst()).allSatisfy { $1.openTime - $0.openTime == 60_000 }, "\(symbol)")
        }
    }

    @Test func spotTrapsArePresentFlaggedAndHeavilyTraded() throws {
        let generated = SyntheticMarket.generate(market: .spot, count: 30, seed: 3, start: sessionStart, days: 2)
        let info = Dictionary(uniqueKeysWithValues: generated.symbols.map { ($0.symbol, $0) })
        #expect(generated.symbols.map(\.symbol) == generated.symbols.map(\.symbol).sorted())
        #expect(generated.symbols.count == 30 + 8)
        for token in ["BTCUPUSDT", "BTCDOWNUSDT"] {
            #expect(info[token]?.permissions.contains("LEVERAGED") == true, "\(token)")
        }
        #expect(info["BTCUSDT"]?.permissions.contains("LEVERAGED") == false)
        for stable in ["USDCUSDT", "FDUSDUSDT", "TUSDUSDT"] {
            let klines = try #require(generated.series[stable])
            let scale = try #require(info[stable]).scales.price
            #expect(klines.allSatisfy { abs(Double($0.close) / pow10(scale) - 1) < 0.01 }, "\(stable)")
        }
        #expect(info["ETHBTC"]?.quoteAsset == "BTC")
        #expect(info["BNBETH"]?.quoteAsset == "ETH")
        let halted = generated.symbols.filter { $0.status == "BREAK" }
        #expect(halted.count == 1)
        #expect(generated.symbols.filter { $0.status != "TRADING" && $0.status != "BREAK" }.isEmpty)

        // A naive ranking by 24 h quote volume at the session start would pick the USDT-quoted traps.
        let normal = generated.symbols.filter {
            $0.quoteAsset == "USDT" && $0.status == "TRADING" && !$0.permissions.contains("LEVERAGED")
                && !["USDCUSDT", "FDUSDUSDT", "TUSDUSDT"].contains($0.symbol)
        }
        #expect(normal.count == 30)
        let volumes = normal.map { quoteVolume24h(generated.series[$0.symbol] ?? [], scale: $0.scales.quote, before: sessionStart) }
            .sorted()
        let upperQuartile = volumes[volumes.count * 3 / 4]
        for trap in ["BTCUPUSDT", "BTCDOWNUSDT", "USDCUSDT", "FDUSDUSDT", "TUSDUSDT"] + halted.map(\.symbol) {
            let trapInfo = try #require(info[trap])
            let volume = quoteVolume24h(generated.series[trap] ?? [], scale: trapInfo.scales.quote, before: sessionStart)
            #expect(volume > upperQuartile, "\(trap) \(volume) vs \(upperQuartile)")
        }
        // Non-USDT pairs bait a ranking by base volume or trade count instead.
        let ethbtc = try #require(generated.series["ETHBTC"])
        let day = ethbtc.filter { $0.openTime >= sessionStart - 86_400_000 && $0.openTime < sessionStart }
        #expect(day.reduce(0) { $0 + $1.trades } > 1_000_000)
        // The halted symbol stopped trading before the session start.
        let haltedSeries = try #require(generated.series[halted[0].symbol])
        #expect(haltedSeries.filter { $0.openTime >= sessionStart - 3_600_000 }.allSatisfy { $0.volume == 0 && $0.trades == 0 })
    }

    @Test func futuresTrapsArePresentFlaggedAndHeavilyTraded() throws {
        let generated = SyntheticMarket.generate(market: .futures, count: 30, seed: 3, start: sessionStart, days: 2)
        let info = Dictionary(uniqueKeysWithValues: generated.symbols.map { ($0.symbol, $0) })
        #expect(generated.symbols.count == 30 + 3)
        let delivery = try #require(info["BTCUSDT_260327"])
        #expect(delivery.contractType == "CURRENT_QUARTER")
        #expect(delivery.baseAsset == "BTC")
        #expect(info["BTCUSDT"]?.contractType == "PERPETUAL")
        #expect(info["USDCUSDT"]?.contractType == "PERPETUAL")
        #expect(generated.symbols.filter { $0.status == "BREAK" }.count == 1)
        #expect(generated.symbols.filter { $0.contractType == "PERPETUAL" }.count == 32)
        // The delivery contract trades at a premium to the perpetual, as a quarterly does in contango.
        let perpetual = try #require(generated.series["BTCUSDT"]?.last?.close)
        let quarterly = try #require(generated.series["BTCUSDT_260327"]?.last?.close)
        #expect(quarterly > perpetual)
        #expect(Double(quarterly) / Double(perpetual) < 1.03)
        let extras = try #require(generated.futures)
        #expect(extras.premiumIndex(symbol: "BTCUSDT_260327", now: sessionStart, lastClose: Fixed(units: quarterly, scale: 2))?
            .nextFundingTime == 0)
    }

    @Test func quarterlyExpiryIsTheLastFridayOfTheQuarterAt0800UTC() {
        // 2026-03-27 is the last Friday of March 2026.
        #expect(SyntheticMarket.quarterlyExpiry(after: 1_770_000_000_000) == 1_774_598_400_000)
        #expect(SyntheticMarket.deliverySuffix(1_774_598_400_000) == "260327")
        // Just after that delivery, the current quarter is June's: 2026-06-26.
        #expect(SyntheticMarket.deliverySuffix(SyntheticMarket.quarterlyExpiry(after: 1_774_598_400_000)) == "260626")
        // December rolls into the next year: 2025-12-26 then 2026-03-27.
        #expect(SyntheticMarket.deliverySuffix(SyntheticMarket.quarterlyExpiry(after: 1_764_547_200_000)) == "251226")
        #expect(SyntheticMarket.deliverySuffix(SyntheticMarket.quarterlyExpiry(after: 1_766_822_400_000)) == "260327")
    }

    @Test func quoteVolumesSpanOrdersOfMagnitudeAndPricesSpanTheRange() {
        let generated = SyntheticMarket.generate(market: .spot, count: 60, seed: 11, start: sessionStart, days: 1)
        let normal = generated.symbols.filter { $0.quoteAsset == "USDT" && $0.status == "TRADING" && !$0.permissions.contains("LEVERAGED") }
        let volumes = normal.map { quoteVolume24h(generated.series[$0.symbol] ?? [], scale: $0.scales.quote, before: sessionStart) }
        let positive = volumes.filter { $0 > 0 }
        #expect(positive.count == volumes.count)
        #expect((positive.max() ?? 0) / (positive.min() ?? 1) >= 1_000)
        let prices = normal.map { info in generated.series[info.symbol]?.first.map { Double($0.open) / pow10(info.scales.price) } ?? 0 }
        #expect((prices.max() ?? 0) > 10_000)
        #expect((prices.min() ?? 1) < 0.01)
        // Cheap coins get more price decimals than expensive ones.
        #expect(normal.allSatisfy { $0.scales.price >= 2 && $0.scales.price <= 8 })
        let cheapest = zip(normal, prices).min { $0.1 < $1.1 }
        #expect((cheapest?.0.scales.price ?? 0) >= 6)
    }

    @Test func returnsShowVolatilityClusteringAndRegimes() throws {
        let generated = SyntheticMarket.generate(market: .spot, count: 20, seed: 5, start: sessionStart, days: 3)
        var autocorrelations: [Double] = []
        var largestHourlyDrop = 0.0
        for info in generated.symbols where info.quoteAsset == "USDT" && info.status == "TRADING" && info.permissions != ["LEVERAGED"] {
            let closes = (generated.series[info.symbol] ?? []).map { Double($0.close) }
            guard closes.count > 120, !info.symbol.hasPrefix("USDC"), !info.symbol.hasPrefix("FDUSD"), !info.symbol.hasPrefix("TUSD") else { continue }
            let moves = zip(closes, closes.dropFirst()).map { abs(log($1 / $0)) }
            let mean = moves.reduce(0, +) / Double(moves.count)
            let pairs = zip(moves, moves.dropFirst())
            let covariance = pairs.reduce(0.0) { $0 + ($1.0 - mean) * ($1.1 - mean) }
            let variance = moves.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
            autocorrelations.append(covariance / variance)
            for start in stride(from: 0, to: closes.count - 60, by: 10) {
                largestHourlyDrop = max(largestHourlyDrop, 1 - closes[start + 60] / closes[start])
            }
        }
        let meanAutocorrelation = autocorrelations.reduce(0, +) / Double(autocorrelations.count)
        #expect(meanAutocorrelation > 0.05, "mean |r| autocorrelation \(meanAutocorrelation)")
        #expect(largestHourlyDrop > 0.05, "largest 1h drop \(largestHourlyDrop)")
    }

    @Test func noSymbolsForAZeroCount() {
        let generated = SyntheticMarket.generate(market: .futures, count: 0, seed: 1, start: sessionStart, days: 1)
        #expect(generated.symbols.isEmpty)
        #expect(generated.series.isEmpty)
    }

}
