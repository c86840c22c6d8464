import Foundation
import Testing
import TestSupport
@testable import Replay

/// 2026-02-10 12:34:56.789 UTC.
private let now0: Int64 = 1_770_726_896_789
private let eightHours: Int64 = 28_800_000

/// A synthetic futures market shared by the tests (generation is deterministic; see `SharedValue`).
private struct Market {
    private static let shared = SharedValue("replay.futures-extras") {
        SyntheticMarket.generate(market: .futures, count: 20, seed: 21, start: now0, days: 3)
    }
    static func load() async throws -> Market { Market(generated: try await shared.get()) }

    let generated: (symbols: [SymbolInfo], series: [String: [Kline]], scales: [String: KlineScales], futures: FuturesExtras?)
    var extras: FuturesExtras { generated.futures ?? FuturesExtras.derived(symbols: [], series: [:], seed: 0) }
    func lastClose(_ symbol: String, at time: Int64) -> Fixed? {
        guard let info = generated.symbols.first(where: { $0.symbol == symbol }),
              let kline = generated.series[symbol]?.last(where: { $0.openTime + 60_000 <= time }) else { return nil }
        return Fixed(units: kline.close, scale: info.scales.price)
    }
}

/// The ALGOUSDT fixture month parsed just enough for derived(): the real archive rows as Klines.
private enum RealArchive {
    static let info = SymbolInfo(symbol: "ALGOUSDT", status: "TRADING", baseAsset: "ALGO", quoteAsset: "USDT",
                                 isSpotTradingAllowed: false, permissions: [], contractType: "PERPETUAL",
                                 scales: KlineScales(price: 4, volume: 1, quote: 5), tickSize: "0.0001", stepSize: "0.1")
    static let klines: [Kline] = {
        guard let text = try? Fixtures.futuresMonth("ALGOUSDT") else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 11, let time = Int64(f[0]),
                  let o = Fixed(f[1], scale: 4), let h = Fixed(f[2], scale: 4), let l = Fixed(f[3], scale: 4),
                  let c = Fixed(f[4], scale: 4), let v = Fixed(f[5], scale: 1), let q = Fixed(f[7], scale: 5),
                  let n = Int64(f[8]), let tv = Fixed(f[9], scale: 1), let tq = Fixed(f[10], scale: 5) else { return nil }
            return Kline(openTime: time, open: o.units, high: h.units, low: l.units, close: c.units, volume: v.units,
                         quoteVolume: q.units, trades: n, takerBuyVolume: tv.units, takerBuyQuoteVolume: tq.units)
        }
    }()
}

private func correlation(_ xs: [Double], _ ys: [Double]) -> Double {
    let n = Double(xs.count)
    let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (x, y) in zip(xs, ys) {
        sxy += (x - mx) * (y - my)
        sxx += (x - mx) * (x - mx)
        syy += (y - my) * (y - my)
    }
    return sxy / (sxx * syy).squareRoot()
}

@Suite struct FuturesExtrasTests {
    @Test func premiumIndexSitsNextToTheLastPrice() async throws {
        let market = try await Market.load()
        let extras = market.extras
        for symbol in market.generated.symbols.map(\.symbol) where !symbol.contains("_") {
            let last = try #require(market.lastClose(symbol, at: now0))
            let index = try #require(extras.premiumIndex(symbol: symbol, now: now0, lastClose: last))
            let mark = try #require(Double(index.markPrice)), indexPrice = try #require(Double(index.indexPrice))
            #expect(abs(mark / last.doubleValue - 1) < 0.0001, "\(symbol) mark \(index.markPrice) last \(last)")
            #expect(abs(indexPrice / last.doubleValue - 1) < 0.005, "\(symbol)")
            #expect(Double(index.estimatedSettlePrice).map { abs($0 / last.doubleValue - 1) < 0.005 } == true)
            #expect(index.interestRate == "0.00010000")
            #expect(index.lastFundingRate.split(separator: ".").last?.count == 8)
            #expect(index.markPrice.split(separator: ".").last?.count == 8)
            #expect(index.nextFundingTime == 1_770_739_200_000)  // 2026-02-10 16:00 UTC
            #expect(index.time == now0)
        }
        // Exactly on a funding time, the next one is eight hours later.
        let last = try #require(market.lastClose("BTCUSDT", at: 1_770_739_200_000))
        #expect(extras.premiumIndex(symbol: "BTCUSDT", now: 1_770_739_200_000, lastClose: last)?.nextFundingTime == 1_770_768_000_000)
        #expect(extras.premiumIndex(symbol: "NOPEUSDT", now: now0, lastClose: last) == nil)
        #expect(extras.premiumIndex(symbol: "BTCUSDT", now: now0 - 10 * 86_400_000, lastClose: last) == nil)
        let delivery = try #require(market.generated.symbols.first { $0.contractType == "CURRENT_QUARTER" })
        let quarterly = try #require(extras.premiumIndex(symbol: delivery.symbol, now: now0, lastClose: last))
        #expect(quarterly.lastFundingRate == "" && quarterly.interestRate == "" && quarterly.nextFundingTime == 0)
        #expect(extras.fundingRates(symbol: delivery.symbol, startTime: nil, endTime: nil, limit: 100, now: now0).isEmpty)
    }

    @Test func fundingRatesFollowBinanceSemantics() async throws {
        let market = try await Market.load()
        let extras = market.extras
        let latest = extras.fundingRates(symbol: "BTCUSDT", startTime: nil, endTime: nil, limit: 100, now: now0)
        // 3 days of history: funding at 00:00/08:00/16:00 from 2026-02-07 16:00 to 2026-02-10 08:00.
        #expect(latest.count == 9)
        #expect(latest.first?.fundingTime == 1_770_480_000_000)
        #expect(latest.last?.fundingTime == 1_770_710_400_000)
        #expect(latest.allSatisfy { $0.fundingTime % eightHours == 0 && $0.fundingTime <= now0 && $0.symbol == "BTCUSDT" })
        #expect(zip(latest, latest.dropFirst()).allSatisfy { $1.fundingTime - $0.fundingTime == eightHours })
        #expect(latest.allSatisfy { $0.fundingRate.split(separator: ".").last?.count == 8 && Double($0.markPrice) != nil })

        let two = extras.fundingRates(symbol: "BTCUSDT", startTime: nil, endTime: nil, limit: 2, now: now0)
        #expect(two == Array(latest.suffix(2)))
        let fromStart = extras.fundingRates(symbol: "BTCUSDT", startTime: 1_770_500_000_000, endTime: nil, limit: 2, now: now0)
        #expect(fromStart.map(\.fundingTime) == [1_770_508_800_000, 1_770_537_600_000])
        let untilEnd = extras.fundingRates(symbol: "BTCUSDT", startTime: nil, endTime: 1_770_537_600_000, limit: 2, now: now0)
        #expect(untilEnd.map(\.fundingTime) == [1_770_508_800_000, 1_770_537_600_000])
        let window = extras.fundingRates(symbol: "BTCUSDT", startTime: 1_770_508_800_000, endTime: 1_770_566_400_000, limit: 100, now: now0)
        #expect(window.count == 3)
        #expect(extras.fundingRates(symbol: "BTCUSDT", startTime: 1_770_600_000_000, endTime: 1_770_500_000_000, limit: 100, now: now0).isEmpty)
        // Only events at or before now: eight hours later there is one more.
        #expect(extras.fundingRates(symbol: "BTCUSDT", startTime: nil, endTime: nil, limit: 100, now: now0 + eightHours).count == 10)
        // A future endTime changes nothing.
        #expect(extras.fundingRates(symbol: "BTCUSDT", startTime: nil, endTime: now0 + 86_400_000, limit: 100, now: now0) == latest)

        // Without a symbol: every perpetual, ascending by time; limits clamp to 1...1000.
        let all = extras.fundingRates(symbol: nil, startTime: nil, endTime: nil, limit: 5_000, now: now0)
        let perpetuals = market.generated.symbols.filter { $0.contractType == "PERPETUAL" }.count
        #expect(all.count == min(1_000, perpetuals * 9))
        #expect(Set(all.map(\.symbol)).count == perpetuals)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.fundingTime <= $1.fundingTime })
        #expect(extras.fundingRates(symbol: nil, startTime: nil, endTime: nil, limit: 7, now: now0).count == 7)
        #expect(extras.fundingRates(symbol: nil, startTime: nil, endTime: nil, limit: 0, now: now0).count == 1)
        #expect(extras.fundingRates(symbol: "NOPEUSDT", startTime: nil, endTime: nil, limit: 100, now: now0).isEmpty)
        #expect(extras.fundingRates(symbol: "BTCUSDT", startTime: Int64.max, endTime: Int64.min, limit: 100, now: now0).isEmpty)
    }

    @Test func fundingRateIsBinancesFormulaOverThePremium() async throws {
        let market = try await Market.load()
        let extras = market.extras
        var rates: [Double] = []
        var premiums: [Double] = []
        for (symbol, series) in extras.series where series.perpetual {
            for (index, rate) in series.fundingRate.enumerated() {
                let time = series.fundingStart + Int64(index) * eightHours
                let premium = try #require(series.meanPremium(after: time - eightHours, through: time))
                #expect(Int64(rate) == Int64((FuturesExtras.fundingRate(premium: premium) * 1e8).rounded()), "\(symbol)")
                rates.append(Double(rate) * 1e-8)
                premiums.append(premium)
            }
        }
        print("FuturesExtras: \(rates.filter { $0 != 0.0001 }.count) of \(rates.count) funding events differ from 0.01 %")
        // Positive premium ↔ funding above the 0.01 % base, negative ↔ below; both happen.
        #expect(correlation(premiums, rates) > 0.5)
        #expect(rates.contains { $0 > 0.0001 })
        #expect(rates.contains { $0 < 0.0001 })
        #expect(rates.contains { $0 == 0.0001 })
        for (premium, rate) in zip(premiums, rates) where premium > 0.0006 { #expect(rate > 0.0001) }
        for (premium, rate) in zip(premiums, rates) where premium < -0.0004 { #expect(rate < 0.0001) }
    }

    @Test func openInterestIsSampledEveryFiveMinutesAndDriftsWithVolume() async throws {
        let market = try await Market.load()
        let extras = market.extras
        let info = try #require(market.generated.symbols.first { $0.symbol == "BTCUSDT" })
        let interest = try #require(extras.openInterest(symbol: "BTCUSDT", now: now0))
        #expect(interest.time == now0)
        #expect(interest.openInterest.split(separator: ".").last?.count == info.scales.volume)
        #expect((Double(interest.openInterest) ?? 0) > 0)
        // Same five-minute sample → same value; the next sample moves.
        let bucket = now0 / 300_000 * 300_000
        #expect(extras.openInterest(symbol: "BTCUSDT", now: bucket)?.openInterest == extras.openInterest(symbol: "BTCUSDT", now: bucket + 299_999)?.openInterest)
        #expect(extras.openInterest(symbol: "BTCUSDT", now: bucket)?.openInterest != extras.openInterest(symbol: "BTCUSDT", now: bucket + 300_000)?.openInterest)
        #expect(extras.openInterest(symbol: "NOPEUSDT", now: now0) == nil)
        #expect(extras.openInterest(symbol: "BTCUSDT", now: now0 - 30 * 86_400_000) == nil)

        // The halted symbol's volume vanished six hours before the start: its open interest unwinds.
        let halted = try #require(market.generated.symbols.first { $0.status == "BREAK" })
        let before = try #require(Double(extras.openInterest(symbol: halted.symbol, now: now0 - 6 * 3_600_000)?.openInterest ?? ""))
        let after = try #require(Double(extras.openInterest(symbol: halted.symbol, now: now0 + 12 * 3_600_000)?.openInterest ?? ""))
        #expect(after < before * 0.7, "\(before) → \(after)")
    }

    @Test func longShortRatiosFollowBinanceSemantics() async throws {
        let market = try await Market.load()
        let extras = market.extras
        let latest = extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 3_600_000, startTime: nil, endTime: nil, limit: 30, now: now0)
        #expect(latest.count == 30)
        #expect(latest.last?.timestamp == now0 / 3_600_000 * 3_600_000)
        #expect(zip(latest, latest.dropFirst()).allSatisfy { $1.timestamp - $0.timestamp == 3_600_000 })
        for entry in latest {
            let long = try #require(Fixed(entry.longAccount[...])), short = try #require(Fixed(entry.shortAccount[...]))
            #expect(long.scale == 4 && short.scale == 4 && long.units + short.units == 10_000)
            let ratio = try #require(Double(entry.longShortRatio))
            #expect(entry.longShortRatio.split(separator: ".").last?.count == 4)
            #expect(abs(ratio - long.doubleValue / short.doubleValue) <= 0.00005 + 1e-12)
        }
        #expect(extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 300_000, startTime: nil, endTime: nil, limit: 10_000, now: now0).count == 500)
        #expect(extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 86_400_000, startTime: nil, endTime: nil, limit: 30, now: now0).count == 3)
        let fromStart = extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 900_000, startTime: now0 - 86_400_000, endTime: nil, limit: 4, now: now0)
        #expect(fromStart.count == 4)
        #expect(fromStart.first.map { $0.timestamp >= now0 - 86_400_000 && $0.timestamp - (now0 - 86_400_000) < 900_000 } == true)
        let untilEnd = extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 900_000, startTime: nil, endTime: now0 - 86_400_000, limit: 4, now: now0)
        #expect(untilEnd.last.map { $0.timestamp <= now0 - 86_400_000 } == true)
        #expect(extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 600_000, startTime: nil, endTime: nil, limit: 30, now: now0).isEmpty)
        #expect(extras.longShortRatios(symbol: "NOPEUSDT", periodMillis: 300_000, startTime: nil, endTime: nil, limit: 30, now: now0).isEmpty)
        #expect(extras.longShortRatios(symbol: "ETHUSDT", periodMillis: 300_000, startTime: Int64.max, endTime: nil, limit: 30, now: now0).isEmpty)
    }

    @Test func theCrowdLeansWithRecentReturns() async throws {
        let market = try await Market.load()
        var leans: [Double] = []
        var returns: [Double] = []
        let extras = market.extras
        for info in market.generated.symbols where info.contractType == "PERPETUAL" && info.status == "TRADING" {
            let klines = try #require(market.generated.series[info.symbol])
            let ratios = extras.longShortRatios(symbol: info.symbol, periodMillis: 3_600_000, startTime: nil, endTime: nil, limit: 60, now: now0)
            let closeAt = Dictionary(uniqueKeysWithValues: klines.map { ($0.openTime + 60_000, Double($0.close)) })
            let mean = ratios.compactMap { Double($0.longAccount) }.reduce(0, +) / Double(max(ratios.count, 1))
            for entry in ratios {
                guard let now = closeAt[entry.timestamp], let before = closeAt[entry.timestamp - 4 * 3_600_000],
                      let long = Double(entry.longAccount) else { continue }
                returns.append(log(now / before))
                leans.append(long - mean)
            }
        }
        #expect(correlation(returns, leans) > 0.2, "correlation \(correlation(returns, leans))")
    }

    @Test func thirtyDayWindowOfTheRatio() throws {
        // 40 days of hand-made klines: only the last 30 days of ratios are served.
        let start: Int64 = 1_767_225_600_000  // 2026-01-01
        let klines = (0..<(40 * 1_440)).map { m in
            let price = Int64(10_000 + (m % 97))
            return Kline(openTime: start + Int64(m) * 60_000, open: price, high: price + 5, low: price - 5, close: price,
                         volume: 1_000 + Int64(m % 13), quoteVolume: 100_000, trades: 10, takerBuyVolume: 500, takerBuyQuoteVolume: 50_000)
        }
        let info = SymbolInfo(symbol: "TESTUSDT", status: "TRADING", baseAsset: "TEST", quoteAsset: "USDT",
                              contractType: "PERPETUAL", scales: KlineScales(price: 2, volume: 1, quote: 3),
                              tickSize: "0.01", stepSize: "0.1")
        let extras = FuturesExtras.derived(symbols: [info], series: ["TESTUSDT": klines], seed: 1)
        let now = start + 40 * 86_400_000 - 1
        let all = extras.longShortRatios(symbol: "TESTUSDT", periodMillis: 86_400_000, startTime: start, endTime: nil, limit: 500, now: now)
        #expect(all.count == 30)
        #expect(all.first?.timestamp == start + 10 * 86_400_000)
        #expect(extras.fundingRates(symbol: "TESTUSDT", startTime: nil, endTime: nil, limit: 1_000, now: now).count == 40 * 3 - 1)
    }

    @Test func derivedFromTheRealArchiveIsDeterministic() throws {
        let klines = RealArchive.klines
        try #require(klines.count == 40_320, "fixture at \(Fixtures.futuresKlines)")
        let symbols = [RealArchive.info]
        let a = FuturesExtras.derived(symbols: symbols, series: ["ALGOUSDT": klines], seed: 5)
        let b = FuturesExtras.derived(symbols: symbols, series: ["ALGOUSDT": klines], seed: 5)
        let c = FuturesExtras.derived(symbols: symbols, series: ["ALGOUSDT": klines], seed: 6)
        let end: Int64 = 1_772_323_200_000  // 2026-03-01 00:00 UTC
        let mid: Int64 = 1_771_000_000_000
        let fundingA = a.fundingRates(symbol: "ALGOUSDT", startTime: nil, endTime: nil, limit: 1_000, now: end)
        #expect(fundingA.count == 28 * 3)
        #expect(fundingA.first?.fundingTime == 1_769_932_800_000)  // 2026-02-01 08:00
        #expect(fundingA == b.fundingRates(symbol: "ALGOUSDT", startTime: nil, endTime: nil, limit: 1_000, now: end))
        #expect(fundingA != c.fundingRates(symbol: "ALGOUSDT", startTime: nil, endTime: nil, limit: 1_000, now: end))
        #expect(a.openInterest(symbol: "ALGOUSDT", now: mid) == b.openInterest(symbol: "ALGOUSDT", now: mid))
        #expect(a.longShortRatios(symbol: "ALGOUSDT", periodMillis: 300_000, startTime: nil, endTime: nil, limit: 500, now: mid)
            == b.longShortRatios(symbol: "ALGOUSDT", periodMillis: 300_000, startTime: nil, endTime: nil, limit: 500, now: mid))
        let last = try #require(klines.last(where: { $0.openTime + 60_000 <= mid }))
        let lastClose = Fixed(units: last.close, scale: 4)
        #expect(a.premiumIndex(symbol: "ALGOUSDT", now: mid, lastClose: lastClose) == b.premiumIndex(symbol: "ALGOUSDT", now: mid, lastClose: lastClose))
        // Funding marks are the archive's closes at the funding time (within the smoothing).
        for event in fundingA.prefix(10) {
            let close = try #require(klines.first { $0.openTime + 60_000 == event.fundingTime })
            #expect(abs((Double(event.markPrice) ?? 0) / (Double(close.close) / 1e4) - 1) < 0.001)
        }
        // Open interest is in ALGO with one decimal, and of the order of the daily volume.
        let interest = try #require(a.openInterest(symbol: "ALGOUSDT", now: mid))
        #expect(interest.openInterest.split(separator: ".").last?.count == 1)
        let dayVolume = klines.filter { $0.openTime >= mid - 86_400_000 && $0.openTime < mid }.reduce(0.0) { $0 + Double($1.volume) / 10 }
        let value = try #require(Double(interest.openInterest))
        #expect(value > dayVolume * 0.05 && value < dayVolume * 3, "OI \(value), 24h volume \(dayVolume)")
        // Alone or beside other symbols, a symbol's series is the same.
        let synthetic = SyntheticMarket.generate(market: .futures, count: 3, seed: 5, start: mid, days: 1)
        let together = FuturesExtras.merged([a, synthetic.futures].compactMap { $0 })
        #expect(together.fundingRates(symbol: "ALGOUSDT", startTime: nil, endTime: nil, limit: 1_000, now: end) == fundingA)
        #expect(together.openInterest(symbol: "BTCUSDT", now: mid) == synthetic.futures?.openInterest(symbol: "BTCUSDT", now: mid))
    }
}
