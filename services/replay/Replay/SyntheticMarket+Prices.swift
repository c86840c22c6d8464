import Foundation

/// One symbol's minute-by-minute path before it is turned into klines.
struct SyntheticPath: Sendable {
    /// Log return of each minute.
    var returns: [Double]
    /// Conditional volatility (per-minute standard deviation) of each minute; sizes the wicks.
    var sigma: [Float]
    /// Relative trading activity (1 = ordinary); scales volume. 0 means no trading.
    var activity: [Float]
}

/// A regime switcher: trend, range, breakout and crash phases of random length.
struct RegimeProcess {
    private var remaining = 0
    private var drift = 0.0
    private(set) var volatility = 1.0
    private(set) var activity = 1.0
    private var meanReverting = false
    private var anchor = 0.0
    private var afterCrash = false

    /// Drift for this minute; `scale` sizes the moves (1 ≈ a coin with 4% daily volatility).
    mutating func step(_ random: inout SeededRandom, logPrice: Double, scale: Double, crashChance: Double) -> Double {
        if remaining <= 0 { draw(&random, logPrice: logPrice, scale: scale, crashChance: crashChance) }
        remaining -= 1
        return meanReverting ? -(logPrice - anchor) / 240 : drift
    }

    private mutating func draw(_ random: inout SeededRandom, logPrice: Double, scale: Double, crashChance: Double) {
        let u = random.unit()
        let sign: Double = random.chance(0.5) ? 1 : -1
        meanReverting = false
        if afterCrash {
            // Consolidation after a crash: busy, volatile, going nowhere.
            afterCrash = false
            remaining = random.int(in: 120...600)
            meanReverting = true
            anchor = logPrice
            volatility = 1.6
            activity = 1.8
        } else if u < crashChance {
            remaining = random.int(in: 20...180)
            drift = -random.uniform(0.10, 0.30) * scale / Double(remaining)
            volatility = 3
            activity = 4.5
            afterCrash = true
        } else if u < crashChance + 0.15 {
            remaining = random.int(in: 30...240)
            drift = sign * random.uniform(0.04, 0.12) * scale / Double(remaining)
            volatility = 2
            activity = 2.5
        } else if u < crashChance + 0.50 {
            remaining = random.int(in: 240...2_160)
            drift = sign * random.uniform(0.02, 0.12) * scale / Double(remaining)
            volatility = 1
            activity = 1.1
        } else {
            remaining = random.int(in: 120...1_440)
            meanReverting = true
            anchor = logPrice
            volatility = 0.7
            activity = 0.75
        }
    }
}

/// GARCH(1,1) conditional variance: big moves make big moves likelier (volatility clustering).
struct VolatilityCluster {
    private let base: Double
    private var variance: Double

    init(sigma: Double) {
        base = sigma * sigma
        variance = base
    }

    var sigma: Double { variance.squareRoot() }

    mutating func update(shock: Double) {
        variance = min(base * 0.02 + 0.06 * shock * shock + 0.92 * variance, base * 25)
    }
}

extension SyntheticMarket {
    /// The market-wide factor: log returns, volatility and activity shared by every ordinary coin.
    static func marketFactor(seed: UInt64, minutes: Int) -> SyntheticPath {
        var random = SeededRandom(seed: SeededRandom.mix(seed ^ 0x4D41_524B_4554))
        let sigma0 = 0.02 / 1_440.0.squareRoot()
        var regime = RegimeProcess()
        var cluster = VolatilityCluster(sigma: sigma0)
        var logPrice = 0.0
        var path = SyntheticPath(returns: [], sigma: [], activity: [])
        path.returns.reserveCapacity(minutes)
        path.sigma.reserveCapacity(minutes)
        path.activity.reserveCapacity(minutes)
        for _ in 0..<minutes {
            let drift = regime.step(&random, logPrice: logPrice, scale: 0.6, crashChance: 0.03)
            let sigma = cluster.sigma * regime.volatility
            let shock = sigma * random.normal()
            cluster.update(shock: shock / regime.volatility)
            let r = drift + shock
            logPrice += r
            path.returns.append(r)
            path.sigma.append(Float(sigma))
            path.activity.append(Float(regime.activity))
        }
        return path
    }

    /// One symbol's path. `market` is the market factor, `leader` the first normal symbol's path (BTC),
    /// which leveraged tokens and the delivery contract follow.
    static func path(for spec: SyntheticSpec, minutes: Int, firstOpen: Int64, market: SyntheticPath,
                     leader: SyntheticPath?) -> SyntheticPath {
        var random = SeededRandom(seed: spec.pathSeed, stream: 3)
        var path = SyntheticPath(returns: [], sigma: [], activity: [])
        path.returns.reserveCapacity(minutes)
        path.sigma.reserveCapacity(minutes)
        path.activity.reserveCapacity(minutes)
        let sigma0 = spec.dailyVolatility / 1_440.0.squareRoot()
        let floorLog = log(20 / pow10(spec.info.scales.price))
        var logPrice = log(spec.startPrice)

        switch spec.kind {
        case .stable:
            var deviation = 0.0
            for m in 0..<minutes {
                let next = 0.98 * deviation + 0.00006 * random.normal()
                path.returns.append(next - deviation)
                deviation = next
                path.sigma.append(0.00008)
                // Stablecoins trade harder when the market is stressed.
                path.activity.append(market.activity[m] * 0.5 + 0.5)
            }
        case .leveraged(let factor):
            for m in 0..<minutes {
                let base = leader?.returns[m] ?? market.returns[m]
                var r = factor * base - 2e-7 + 0.00005 * random.normal()
                if logPrice + r < floorLog { r = abs(r) }
                logPrice += r
                path.returns.append(r)
                path.sigma.append(Float(abs(factor)) * (leader?.sigma[m] ?? market.sigma[m]))
                path.activity.append(leader?.activity[m] ?? market.activity[m])
            }
        case .delivery(let expiry):
            let annual = deliveryBasis(pathSeed: spec.pathSeed)
            var previousBasis = log1p(annual * Double(max(expiry - firstOpen, 0)) / 31_536_000_000)
            for m in 0..<minutes {
                let time = firstOpen + Int64(m + 1) * 60_000
                let basis = log1p(annual * Double(max(expiry - time, 0)) / 31_536_000_000) + 0.0002 * random.normal()
                let r = (leader?.returns[m] ?? market.returns[m]) + basis - previousBasis
                previousBasis = basis
                path.returns.append(r)
                path.sigma.append(leader?.sigma[m] ?? market.sigma[m])
                path.activity.append(leader?.activity[m] ?? market.activity[m])
            }
        case .normal, .crossQuote, .halted:
            var haltAt = Int.max
            if case .halted(let minute) = spec.kind { haltAt = minute }
            var regime = RegimeProcess()
            let marketSigma = 0.02 / 1_440.0.squareRoot()
            let ownSigma = max(sigma0 * sigma0 - spec.beta * spec.beta * marketSigma * marketSigma,
                               0.09 * sigma0 * sigma0).squareRoot()
            var cluster = VolatilityCluster(sigma: ownSigma)
            let scale = spec.dailyVolatility / 0.04
            for m in 0..<minutes {
                guard m < haltAt else {
                    path.returns.append(0)
                    path.sigma.append(0)
                    path.activity.append(0)
                    continue
                }
                let drift = regime.step(&random, logPrice: logPrice, scale: scale, crashChance: 0.02)
                let sigma = cluster.sigma * regime.volatility
                let jump = random.chance(0.002) ? 4.0 : 1.0
                let shock = sigma * jump * random.normal()
                cluster.update(shock: shock / regime.volatility)
                var r = spec.beta * market.returns[m] + drift + shock
                if logPrice + r < floorLog { r = abs(r) }
                logPrice += r
                path.returns.append(r)
                let combined = (spec.beta * spec.beta * Double(market.sigma[m] * market.sigma[m]) + sigma * sigma).squareRoot()
                path.sigma.append(Float(combined))
                path.activity.append(Float(regime.activity) * (0.5 + 0.5 * market.activity[m]))
            }
        }
        return path
    }

    /// Annualised premium of the delivery contract over the perpetual (5–10 %), decaying to 0 at expiry.
    static func deliveryBasis(pathSeed: UInt64) -> Double {
        var random = SeededRandom(seed: pathSeed, stream: 5)
        return random.uniform(0.05, 0.10)
    }

    /// Turns a path into valid 1m klines (open = previous close, low ≤ open/close ≤ high, quote ≈ volume × price,
    /// taker-buy ≤ volume), with intraday seasonality and volume that rises with the size of the move.
    static func klines(for spec: SyntheticSpec, path: SyntheticPath, firstOpen: Int64) -> [Kline] {
        var random = SeededRandom(seed: spec.flowSeed, stream: 4)
        let scales = spec.info.scales
        let priceUnit = pow10(scales.price)
        let volumeUnit = pow10(scales.volume)
        let quoteUnit = pow10(scales.quote)
        let sigma0 = max(spec.dailyVolatility / 1_440.0.squareRoot(), 1e-6)
        let perMinuteQuote = spec.dailyQuoteVolume / 1_440
        let seasonality = (0..<24).map { 1 + 0.35 * cos(2 * Double.pi * Double($0 - 15) / 24) }
        var klines: [Kline] = []
        klines.reserveCapacity(path.returns.count)
        var logPrice = log(spec.startPrice)
        var open = max(1, Int64((spec.startPrice * priceUnit).rounded()))

        for m in 0..<path.returns.count {
            let openTime = firstOpen + Int64(m) * 60_000
            let r = path.returns[m]
            let sigma = Double(path.sigma[m])
            logPrice += r
            let close = max(1, Int64((exp(logPrice) * priceUnit).rounded()))
            let top = Double(max(open, close)) * exp(abs(random.normal()) * sigma * 0.7)
            let bottom = Double(min(open, close)) * exp(-abs(random.normal()) * sigma * 0.7)
            let high = max(Int64(top.rounded()), max(open, close))
            let low = max(1, min(Int64(bottom.rounded()), min(open, close)))

            let hour = Int(SyntheticMarket.floorDivide(openTime, 3_600_000) % 24)
            let surprise = min(abs(r) / (spec.kind == .normal ? sigma0 : max(sigma, 1e-6)), 10)
            let quote = perMinuteQuote * seasonality[hour] * Double(path.activity[m]) * (0.5 + 0.625 * surprise)
                * exp(0.45 * random.normal() - 0.101)
            let vwap = Double(open + high + low + close) / 4 / priceUnit
            let expectedTrades = quote / spec.averageTradeQuote
            var trades = expectedTrades >= 1
                ? Int64((expectedTrades * random.uniform(0.85, 1.15)).rounded())
                : (random.chance(expectedTrades) ? 1 : 0)
            let volume = trades > 0 ? Int64((quote / vwap * volumeUnit).rounded()) : 0
            if volume <= 0 {
                // No trade this minute: a flat candle at the previous close, as Binance prints it.
                trades = 0
                klines.append(Kline(openTime: openTime, open: open, high: open, low: open, close: open, volume: 0,
                                    quoteVolume: 0, trades: 0, takerBuyVolume: 0, takerBuyQuoteVolume: 0))
                logPrice = log(Double(open) / priceUnit)
                continue
            }
            let quoteVolume = max(0, Int64((Double(volume) / volumeUnit * vwap * quoteUnit).rounded()))
            let share = min(max(0.5 + 0.2 * tanh(r / max(sigma, 1e-9)) + 0.06 * random.normal(), 0.03), 0.97)
            let takerBuyVolume = min(volume, Int64((Double(volume) * share).rounded()))
            let takerBuyQuote = min(quoteVolume, Int64((Double(quoteVolume) * share).rounded()))
            klines.append(Kline(openTime: openTime, open: open, high: high, low: low, close: close, volume: volume,
                                quoteVolume: quoteVolume, trades: max(trades, 1), takerBuyVolume: takerBuyVolume,
                                takerBuyQuoteVolume: takerBuyQuote))
            open = close
        }
        return klines
    }
}
