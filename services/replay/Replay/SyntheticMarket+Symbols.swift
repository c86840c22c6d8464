import Foundation

/// How a synthetic symbol's price moves.
enum SyntheticKind: Sendable, Equatable {
    /// An ordinary coin: market factor × beta plus its own regimes.
    case normal
    /// A stablecoin pair: pinned near `peg`.
    case stable(peg: Double)
    /// A leveraged token: `factor` × the returns of the first normal symbol (BTC).
    case leveraged(factor: Double)
    /// A pair quoted in another coin (…BTC, …ETH): its own path, weakly tied to the market.
    case crossQuote
    /// Trades normally until minute `minute` of the series, then halts: flat price, no volume.
    case halted(minute: Int)
    /// A quarterly contract on the first normal symbol, at a basis that decays towards `expiry`.
    case delivery(expiry: Int64)
}

/// Everything needed to generate one synthetic symbol.
struct SyntheticSpec: Sendable {
    var info: SymbolInfo
    var kind: SyntheticKind
    /// Seeds the price path; equal for spot and futures symbols of one name so their prices agree.
    var pathSeed: UInt64
    /// Seeds volumes and trade counts; differs per market.
    var flowSeed: UInt64
    var startPrice: Double
    /// Mean 24 h quote volume, in the quote asset.
    var dailyQuoteVolume: Double
    /// Standard deviation of daily log returns in calm conditions.
    var dailyVolatility: Double
    /// Sensitivity to the market-wide factor.
    var beta: Double
    /// Mean quote size of one trade (sets the trades count).
    var averageTradeQuote: Double
}

extension SyntheticMarket {
    /// The normal symbols (BTC, ETH, then generated names) followed by the traps.
    static func specs(market: ReplayMarket, count: Int, seed: UInt64, firstOpen: Int64, minutes: Int) -> [SyntheticSpec] {
        guard count > 0 else { return [] }
        let marketTag: UInt64 = market == .spot ? 0x5350_4F54 : 0x4655_5455
        let volumeFactor = market == .spot ? 1.0 : 3.0
        var used: Set<String> = ["USDT", "USDC", "FDUSD", "TUSD", "BUSD", "BNB", "BTCUP", "BTCDOWN"]
        var specs: [SyntheticSpec] = []
        specs.reserveCapacity(count + 8)

        for index in 0..<count {
            let base = baseName(index: index, seed: seed, used: &used)
            let pathSeed = SeededRandom.mix(seed ^ SeededRandom.mix(UInt64(index) &+ 1))
            var path = SeededRandom(seed: pathSeed, stream: 1)
            var flow = SeededRandom(seed: SeededRandom.mix(pathSeed ^ marketTag), stream: 2)
            let price: Double
            let volume: Double
            let volatility: Double
            switch index {
            case 0:
                price = path.uniform(55_000, 80_000)
                volume = path.uniform(6e9, 9e9)
                volatility = 0.025
            case 1:
                price = path.uniform(2_000, 4_000)
                volume = path.uniform(3e9, 5e9)
                volatility = 0.035
            default:
                price = path.logUniform(0.0001, 5_000)
                volume = path.logUniform(1e5, 2e9)
                volatility = path.uniform(0.03, 0.10)
            }
            let beta = index < 2 ? 1.0 : path.uniform(0.5, 1.6)
            specs.append(SyntheticSpec(
                info: symbolInfo(market: market, base: base, quote: "USDT", price: price,
                                 permissions: volume > 5e7 ? ["SPOT", "MARGIN"] : ["SPOT"]),
                kind: .normal, pathSeed: pathSeed, flowSeed: flow.next(), startPrice: price,
                dailyQuoteVolume: volume * volumeFactor * flow.uniform(0.7, 1.4), dailyVolatility: volatility,
                // Deep markets see bigger trades: ~$500–1,500 for BTC, tens of dollars for the thinnest coins.
                beta: beta, averageTradeQuote: flow.logUniform(100, 600) * min(max(pow(volume / 1e8, 0.25), 0.1), 5)))
        }

        let haltedBase = baseName(index: count, seed: seed, used: &used)
        let haltMinute = max(0, minutes - 1_440 - 360)  // six hours before the start of the session
        var traps: [(symbol: String, base: String, quote: String, kind: SyntheticKind, price: Double, volume: Double,
                     permissions: [String], status: String)] = []
        switch market {
        case .spot:
            traps = [
                ("BTCUPUSDT", "BTCUP", "USDT", .leveraged(factor: 3), 30, 3.0e9, ["LEVERAGED"], "TRADING"),
                ("BTCDOWNUSDT", "BTCDOWN", "USDT", .leveraged(factor: -3), 0.004, 2.6e9, ["LEVERAGED"], "TRADING"),
                ("USDCUSDT", "USDC", "USDT", .stable(peg: 1.0000), 1.0000, 9.0e9, ["SPOT", "MARGIN"], "TRADING"),
                ("FDUSDUSDT", "FDUSD", "USDT", .stable(peg: 0.9990), 0.9990, 1.1e10, ["SPOT"], "TRADING"),
                ("TUSDUSDT", "TUSD", "USDT", .stable(peg: 0.9985), 0.9985, 2.8e9, ["SPOT"], "TRADING"),
                // Quoted in BTC/ETH: small quote volumes but huge base volumes and trade counts.
                ("ETHBTC", "ETH", "BTC", .crossQuote, 0.045, 6.0e4, ["SPOT", "MARGIN"], "TRADING"),
                ("BNBETH", "BNB", "ETH", .crossQuote, 0.19, 4.0e4, ["SPOT", "MARGIN"], "TRADING"),
                (haltedBase + "USDT", haltedBase, "USDT", .halted(minute: haltMinute), 2.5, 3.5e9, ["SPOT"], "BREAK"),
            ]
        case .futures:
            let end = firstOpen + Int64(minutes) * 60_000
            let expiry = quarterlyExpiry(after: end)
            let btc = specs[0]
            traps = [
                ("USDCUSDT", "USDC", "USDT", .stable(peg: 1.0000), 1.0000, 4.0e9, [], "TRADING"),
                (haltedBase + "USDT", haltedBase, "USDT", .halted(minute: haltMinute), 2.5, 3.5e9, [], "BREAK"),
                ("BTCUSDT_" + deliverySuffix(expiry), "BTC", "USDT", .delivery(expiry: expiry), btc.startPrice,
                 2.5e9, [], "TRADING"),
            ]
        }

        for trap in traps {
            let pathSeed = SeededRandom.mix(seed ^ SeededRandom.stableHash(trap.symbol))
            var flow = SeededRandom(seed: SeededRandom.mix(seed ^ SeededRandom.stableHash(trap.symbol) ^ marketTag))
            var price = trap.price
            if case .delivery(let expiry) = trap.kind {
                price *= 1 + deliveryBasis(pathSeed: pathSeed) * Double(max(expiry - firstOpen, 0)) / 31_536_000_000
            }
            // Stablecoin pairs keep Binance's 0.0001 tick whichever side of 1 they trade.
            let precisionPrice = if case .stable = trap.kind { 1.0 } else { price }
            var info = symbolInfo(market: market, base: trap.base, quote: trap.quote, price: precisionPrice,
                                  permissions: trap.permissions)
            info.symbol = trap.symbol
            info.status = trap.status
            if case .delivery = trap.kind { info.contractType = "CURRENT_QUARTER" }
            specs.append(SyntheticSpec(
                info: info, kind: trap.kind, pathSeed: pathSeed, flowSeed: flow.next(), startPrice: price,
                dailyQuoteVolume: trap.volume * volumeFactor * flow.uniform(0.9, 1.1),
                dailyVolatility: trap.kind == .crossQuote ? 0.03 : 0.05, beta: trap.kind == .crossQuote ? 0.3 : 1,
                averageTradeQuote: trap.quote == "USDT" ? flow.logUniform(200, 2_000) : flow.uniform(0.002, 0.02)))
        }
        return specs
    }

    /// exchangeInfo facts for a symbol whose price starts near `price`: tick/step precision follow the price level.
    static func symbolInfo(market: ReplayMarket, base: String, quote: String, price: Double,
                           permissions: [String]) -> SymbolInfo {
        let magnitude = Int(floor(log10(max(price, 1e-12))))
        let priceScale = min(max(4 - magnitude, 2), 8)
        let volumeScale = min(max(magnitude + 1, 0), 5)
        let scales: KlineScales
        let tick: String
        let step: String
        switch market {
        case .spot:
            scales = KlineScales(price: priceScale, volume: volumeScale, quote: 8)
            tick = Fixed(units: integerPower10(8 - priceScale), scale: 8).description
            step = Fixed(units: integerPower10(8 - volumeScale), scale: 8).description
        case .futures:
            scales = KlineScales(price: priceScale, volume: volumeScale, quote: min(priceScale + volumeScale, 8))
            tick = Fixed(units: 1, scale: priceScale).description
            step = Fixed(units: 1, scale: volumeScale).description
        }
        return SymbolInfo(symbol: base + quote, status: "TRADING", baseAsset: base, quoteAsset: quote,
                          isSpotTradingAllowed: market == .spot, permissions: market == .spot ? permissions : [],
                          contractType: market == .spot ? "" : "PERPETUAL", scales: scales, tickSize: tick, stepSize: step)
    }

    /// Base asset of normal symbol `index`: BTC, ETH, then pronounceable generated names, unique in `used`.
    static func baseName(index: Int, seed: UInt64, used: inout Set<String>) -> String {
        let fixed = ["BTC", "ETH"]
        if index < fixed.count, !used.contains(fixed[index]) {
            used.insert(fixed[index])
            return fixed[index]
        }
        let consonants = Array("BCDFGKLMNPRSTVXZ")
        let vowels = Array("AEIOU")
        var random = SeededRandom(seed: SeededRandom.mix(seed ^ 0x4E41_4D45), stream: UInt64(index))
        while true {
            let syllables = random.int(in: 1...2)
            var name = ""
            for _ in 0..<syllables {
                name.append(consonants[random.int(in: 0...(consonants.count - 1))])
                name.append(vowels[random.int(in: 0...(vowels.count - 1))])
            }
            if syllables == 1 || random.chance(0.5) { name.append(consonants[random.int(in: 0...(consonants.count - 1))]) }
            let looksLeveraged = ["UP", "DOWN", "BULL", "BEAR"].contains { name.hasSuffix($0) }
            if name.count >= 3, !looksLeveraged, !used.contains(name) {
                used.insert(name)
                return name
            }
        }
    }

    /// 08:00 UTC on the last Friday of the first quarter month (Mar/Jun/Sep/Dec) whose delivery is after `time`.
    static func quarterlyExpiry(after time: Int64) -> Int64 {
        let day = Int64(floorDivide(time, 86_400_000))
        var (year, month, _) = civil(fromDays: day)
        month = ((month - 1) / 3 + 1) * 3
        while true {
            let nextMonthFirst = month == 12 ? days(year: year + 1, month: 1, day: 1) : days(year: year, month: month + 1, day: 1)
            let last = nextMonthFirst - 1
            let weekday = (last + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
            let friday = last - (weekday - 5 + 7) % 7
            let expiry = friday * 86_400_000 + 8 * 3_600_000
            if expiry > time { return expiry }
            month += 3
            if month > 12 { month -= 12; year += 1 }
        }
    }

    /// "YYMMDD" of a delivery time, as in BTCUSDT_260327.
    static func deliverySuffix(_ expiry: Int64) -> String {
        let (year, month, day) = civil(fromDays: floorDivide(expiry, 86_400_000))
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return two(year % 100) + two(month) + two(day)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension SyntheticMarket {
    /// Division rounding towards minus infinity (times before 1970 stay in the right bucket).
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func integerPower10(_ exponent: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<max(exponent, 0) { result *= 10 }
        return result
    }
}
