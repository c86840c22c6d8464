import Foundation

extension FuturesExtras {
    /// Runs the premium / open-interest / crowd model over one symbol's klines (sorted by open time).
    static func derive(info: SymbolInfo, klines: [Kline], perpetual: Bool, seed: UInt64) -> Series {
        let step = sampleMillis
        let priceUnit = pow10(info.scales.price)
        let volumeUnit = pow10(info.scales.volume)
        let start = SyntheticMarket.floorDivide(klines[0].openTime, step) * step
        let lastClose = klines[klines.count - 1].openTime + 60_000
        let end = SyntheticMarket.floorDivide(lastClose + step - 1, step) * step
        let buckets = Int((end - start) / step)

        // Five-minute aggregates: last close, base volume, taker-buy share.
        var close = [Double](repeating: 0, count: buckets)
        var volume = [Double](repeating: 0, count: buckets)
        var takerBuy = [Double](repeating: 0, count: buckets)
        var filled = [Bool](repeating: false, count: buckets)
        for kline in klines {
            let bucket = Int((kline.openTime - start) / step)
            guard bucket >= 0, bucket < buckets else { continue }
            close[bucket] = Double(kline.close) / priceUnit
            volume[bucket] += Double(kline.volume) / volumeUnit
            takerBuy[bucket] += Double(kline.takerBuyVolume) / volumeUnit
            filled[bucket] = true
        }
        var carry = Double(klines[0].open) / priceUnit
        for bucket in 0..<buckets {
            if filled[bucket] { carry = close[bucket] } else { close[bucket] = carry }
        }

        var random = SeededRandom(seed: SeededRandom.mix(seed ^ SeededRandom.stableHash(info.symbol)), stream: 7)
        let premiumBias = random.uniform(-0.00008, 0.00035)
        let crowdBias = random.uniform(0.1, 0.9)
        let interestFactor = random.uniform(0.25, 0.9)
        let salt = random.next()

        let warmup = min(288, buckets)
        var averageVolume = warmup > 0 ? volume[0..<warmup].reduce(0, +) / Double(warmup) : 0
        var variance = 0.0
        var previous = Double(klines[0].open) / priceUnit
        for bucket in 0..<warmup {
            let r = log(max(close[bucket], 1e-12) / max(previous, 1e-12))
            variance += r * r / Double(warmup)
            previous = close[bucket]
        }
        variance = max(variance, 1e-14)
        previous = Double(klines[0].open) / priceUnit

        var premium = premiumBias
        var interest = interestFactor * averageVolume * 288
        var crowdNoise = 0.0
        var sentiment = 0.0
        var emaHour = 0.0
        var emaFourHours = 0.0
        var series = Series(priceScale: info.scales.price, volumeScale: info.scales.volume, perpetual: perpetual,
                            salt: salt, start: start, premium: [], premiumPrefix: [0], openInterest: [], longShare: [],
                            fundingStart: 0, fundingRate: [], fundingMark: [])
        series.premium.reserveCapacity(buckets + 1)
        series.premiumPrefix.reserveCapacity(buckets + 2)
        series.openInterest.reserveCapacity(buckets + 1)
        series.longShare.reserveCapacity(buckets + 1)

        func record(momentum: Double) {
            let units = Int32((premium * 1e8).rounded())
            series.premium.append(units)
            series.premiumPrefix.append(series.premiumPrefix[series.premiumPrefix.count - 1] + Int64(units))
            series.openInterest.append(max(0, Int64((interest * volumeUnit).rounded())))
            let x = crowdBias + 0.6 * tanh(momentum / 1.5) + crowdNoise
            let long = min(max(1 / (1 + exp(-x)), 0.05), 0.95)
            series.longShare.append(UInt16((long * 10_000).rounded()))
        }

        record(momentum: 0)
        for bucket in 0..<buckets {
            let r = log(max(close[bucket], 1e-12) / max(previous, 1e-12))
            previous = close[bucket]
            emaHour += (r - emaHour) / 12
            emaFourHours += (r - emaFourHours) / 48
            variance += (r * r - variance) / 288
            let sd = max(variance, 1e-14).squareRoot()
            let hourMomentum = min(max(emaHour * 12.0.squareRoot() / sd, -4), 4)
            let fourHourMomentum = min(max(emaFourHours * 48.0.squareRoot() / sd, -4), 4)
            let imbalance = volume[bucket] > 0 ? takerBuy[bucket] / volume[bucket] - 0.5 : 0

            // A slow sentiment component (hours to days) under the fast momentum / taker-flow response.
            sentiment = 0.995 * sentiment + 0.00004 * random.normal()
            let target = premiumBias + sentiment + 0.0005 * tanh(hourMomentum / 1.5) + 0.001 * imbalance
            premium = min(max(0.85 * premium + 0.15 * target + 0.00004 * random.normal(), -0.004), 0.004)

            averageVolume += (volume[bucket] - averageVolume) / 288
            let interestTarget = interestFactor * averageVolume * 288 * (1 + 0.25 * tanh(fourHourMomentum))
            interest = max(0, interest + 0.02 * (interestTarget - interest) + interest * 0.0015 * random.normal())

            crowdNoise = 0.97 * crowdNoise + 0.03 * random.normal()
            record(momentum: fourHourMomentum)
        }

        if perpetual {
            let period = fundingMillis
            series.fundingStart = SyntheticMarket.floorDivide(start, period) * period + period
            var time = series.fundingStart
            while time <= series.lastSampleTime {
                let mean = series.meanPremium(after: time - period, through: time) ?? premiumBias
                let rate = fundingRate(premium: mean)
                series.fundingRate.append(Int32((rate * 1e8).rounded()))
                let bucket = Int((time - start) / step) - 1
                let last = bucket >= 0 ? close[min(bucket, buckets - 1)] : Double(klines[0].open) / priceUnit
                let units = series.sampleIndex(at: time).map { Double(series.premium[$0]) * 1e-8 } ?? 0
                series.fundingMark.append(Int64((last * (1 + units * 0.1) * 1e8).rounded()))
                time += period
            }
        }
        return series
    }
}
