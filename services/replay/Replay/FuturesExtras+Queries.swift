import Foundation

extension FuturesExtras {
    /// Periods /futures/data/globalLongShortAccountRatio accepts, in ms.
    public static let longShortPeriods: [Int64] = [
        300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 21_600_000, 43_200_000, 86_400_000,
    ]

    /// /fapi/v1/premiumIndex for one symbol at `now`, around the last traded price `lastClose`.
    /// Prices are printed with 8 decimals and rates with 8, as Binance does; delivery contracts show empty
    /// funding fields and nextFundingTime 0. nil for an unknown symbol or a time before its data.
    public func premiumIndex(symbol: String, now: Int64, lastClose: Fixed) -> PremiumIndex? {
        guard let series = series[symbol], let index = series.sampleIndex(at: now) else { return nil }
        let last = lastClose.doubleValue
        let premium = Double(series.premium[index]) * 1e-8
        // The mark price smooths the last price: within about half a basis point of it, moving each second.
        var jitter = SeededRandom(seed: series.salt ^ UInt64(bitPattern: SyntheticMarket.floorDivide(now, 1_000)))
        let mark = last * (1 + jitter.uniform(-0.00005, 0.00005))
        let indexPrice = last / (1 + premium)
        let hourPremium = series.meanPremium(after: now - 3_600_000, through: now) ?? premium
        let settle = last / (1 + hourPremium)
        var result = PremiumIndex(symbol: symbol, markPrice: Self.eight(mark), indexPrice: Self.eight(indexPrice),
                                  estimatedSettlePrice: Self.eight(settle), lastFundingRate: "", interestRate: "",
                                  nextFundingTime: 0, time: now)
        if series.perpetual {
            let period = Self.fundingMillis
            let previous = SyntheticMarket.floorDivide(now, period) * period
            let mean = series.meanPremium(after: previous, through: now) ?? premium
            result.lastFundingRate = Self.eight(Self.fundingRate(premium: mean))
            result.interestRate = Self.eight(Self.interestRate)
            result.nextFundingTime = previous + period
        }
        return result
    }

    /// /fapi/v1/fundingRate: funding events (every 8 h, only those at or before `now`) of one symbol or of all,
    /// ascending by time. With startTime the first `limit` from it; otherwise the latest `limit` (up to endTime
    /// when given). `limit` is clamped to 1...1000.
    public func fundingRates(symbol: String?, startTime: Int64?, endTime: Int64?, limit: Int, now: Int64) -> [FundingRate] {
        let limit = min(max(limit, 1), 1_000)
        let upper = min(endTime ?? now, now)
        let lower = startTime ?? Int64.min
        guard lower <= upper else { return [] }
        var events: [(time: Int64, symbol: String, series: Series, index: Int)] = []
        let names = symbol.map { [$0] } ?? Array(series.keys)
        for name in names {
            guard let series = series[name], series.perpetual, !series.fundingRate.isEmpty else { continue }
            let period = Self.fundingMillis
            let first = lower <= series.fundingStart ? 0 : Int((lower - series.fundingStart + period - 1) / period)
            guard upper >= series.fundingStart else { continue }
            let last = min(Int((upper - series.fundingStart) / period), series.fundingRate.count - 1)
            guard first <= last else { continue }
            // Each symbol contributes at most `limit` events from the end that will be kept.
            let range = startTime != nil ? first...min(last, first + limit - 1) : max(first, last - limit + 1)...last
            for index in range {
                events.append((series.fundingStart + Int64(index) * period, name, series, index))
            }
        }
        events.sort { $0.time != $1.time ? $0.time < $1.time : $0.symbol < $1.symbol }
        let kept = startTime != nil ? events.prefix(limit) : events.suffix(limit)
        return kept.map { event in
            FundingRate(symbol: event.symbol,
                        fundingRate: Fixed(units: Int64(event.series.fundingRate[event.index]), scale: 8).description,
                        fundingTime: event.time,
                        markPrice: Fixed(units: event.series.fundingMark[event.index], scale: 8).description)
        }
    }

    /// /fapi/v1/openInterest at `now`: the latest 5-minute sample, in the symbol's volume scale, stamped `now`.
    public func openInterest(symbol: String, now: Int64) -> OpenInterest? {
        guard let series = series[symbol], let index = series.sampleIndex(at: now) else { return nil }
        return OpenInterest(symbol: symbol,
                            openInterest: Fixed(units: series.openInterest[index], scale: series.volumeScale).description,
                            time: now)
    }

    /// The sample times /futures/data/* answer: one per `periodMillis` boundary (aligned to the
    /// epoch), ascending, within the last 30 days before `now` and never after it or the data.
    /// With startTime the first `limit` from it; otherwise the latest `limit` (up to endTime).
    func statisticsTimes(_ series: Series, periodMillis: Int64, startTime: Int64?, endTime: Int64?, limit: Int, now: Int64) -> [Int64] {
        let limit = Int64(min(max(limit, 1), 500))
        let lower = max(startTime ?? Int64.min, now - 30 * 86_400_000, series.start)
        let upper = min(endTime ?? now, now, series.lastSampleTime)
        guard lower <= upper else { return [] }
        let first = SyntheticMarket.floorDivide(lower + periodMillis - 1, periodMillis)
        let last = SyntheticMarket.floorDivide(upper, periodMillis)
        guard first <= last else { return [] }
        let slots = startTime != nil ? first...min(last, first + limit - 1) : max(first, last - limit + 1)...last
        return slots.map { $0 * periodMillis }
    }

    /// /futures/data/openInterestHist: the open-interest sample at each period boundary (see
    /// `statisticsTimes`), valued at `price(time)` (scaled integer at `priceScale`).
    public func openInterestHistory(
        symbol: String, periodMillis: Int64, startTime: Int64?, endTime: Int64?, limit: Int, now: Int64, price: (Int64) -> (units: Int64, scale: Int)
    ) -> [OpenInterestSample] {
        guard let series = series[symbol], Self.longShortPeriods.contains(periodMillis) else { return [] }
        return statisticsTimes(series, periodMillis: periodMillis, startTime: startTime, endTime: endTime, limit: limit, now: now).compactMap { time in
            guard let index = series.sampleIndex(at: time) else { return nil }
            let interest = series.openInterest[index]
            let (units, scale) = price(time)
            let value = Double(interest) / pow(10, Double(series.volumeScale)) * Double(units) / pow(10, Double(scale))
            return OpenInterestSample(
                symbol: symbol, sumOpenInterest: Fixed(units: interest, scale: series.volumeScale).description,
                sumOpenInterestValue: Self.eight(value), timestamp: time)
        }
    }

    /// /futures/data/globalLongShortAccountRatio: one entry per `periodMillis` boundary (aligned to the epoch),
    /// ascending, within the last 30 days before `now` and never after it. With startTime the first `limit` from
    /// it; otherwise the latest `limit` (up to endTime when given). `limit` is clamped to 1...500; a period not
    /// in `longShortPeriods` or an unknown symbol gives [].
    public func longShortRatios(symbol: String, periodMillis: Int64, startTime: Int64?, endTime: Int64?, limit: Int,
                                now: Int64) -> [LongShortRatio] {
        guard let series = series[symbol], Self.longShortPeriods.contains(periodMillis) else { return [] }
        return statisticsTimes(series, periodMillis: periodMillis, startTime: startTime, endTime: endTime, limit: limit, now: now).compactMap { time in
            guard let index = series.sampleIndex(at: time) else { return nil }
            let long = Int64(series.longShare[index])
            let short = 10_000 - long
            return LongShortRatio(symbol: symbol,
                                  longShortRatio: Fixed(units: (long * 10_000 + short / 2) / short, scale: 4).description,
                                  longAccount: Fixed(units: long, scale: 4).description,
                                  shortAccount: Fixed(units: short, scale: 4).description,
                                  timestamp: time)
        }
    }

    /// Binance's funding formula: premium + clamp(interest − premium, ±0.05 %), capped.
    static func fundingRate(premium: Double) -> Double {
        let rate = premium + min(max(interestRate - premium, -interestClamp), interestClamp)
        return min(max(rate, -fundingCap), fundingCap)
    }

    /// A value printed with 8 decimals.
    static func eight(_ value: Double) -> String {
        let units = value.isFinite ? min(max((value * 1e8).rounded(), -9e18), 9e18) : 0
        return Fixed(units: Int64(units), scale: 8).description
    }
}
