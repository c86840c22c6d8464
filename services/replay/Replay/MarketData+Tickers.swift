import Core
extension MarketData {
    static let day: Int64 = 86_400_000

    /// Rolling 24h ticker at `now` from the trailing 24 h of 1m data: the 1,440 minutes before the
    /// current one plus the current minute so far. lastPrice is the current close, openPrice the
    /// window's first open, prevClosePrice the close before the window, priceChangePercent has 3
    /// decimals, weightedAvgPrice = quoteVolume / volume at the price scale; openTime = now − 24 h,
    /// closeTime = now. A window without data shows the last known price and zero volume.
    /// nil for an unknown symbol.
    public func ticker24h(symbol: String, now: Int64) -> Ticker24h? {
        guard let series = series[symbol] else { return nil }
        let rows = series.rows
        let scales = series.scales
        let minute = CandleInterval.oneMinute.bucketStart(now)
        let start = series.firstIndex(atOrAfter: minute - Self.day)
        let end = series.firstIndex(after: now)
        guard start < end else {
            let last = end > 0 ? rows[end - 1].close : (rows.first?.open ?? 0)
            return Self.ticker(symbol: symbol, scales: scales, open: last, prevClose: last, window: nil, fallback: last, now: now)
        }
        let window = Self.aggregate(rows, start..<end, now: now)
        let prevClose = start > 0 ? rows[start - 1].close : rows[start].open
        return Self.ticker(symbol: symbol, scales: scales, open: rows[start].open, prevClose: prevClose, window: window,
                           fallback: prevClose, now: now)
    }

    /// Every symbol's 24h ticker, in exchangeInfo order.
    public func tickers24h(now: Int64) -> [Ticker24h] {
        symbols.compactMap { ticker24h(symbol: $0.symbol, now: now) }
    }

    private static func ticker(symbol: String, scales: KlineScales, open: Int64, prevClose: Int64, window: Aggregate?,
                               fallback: Int64, now: Int64) -> Ticker24h {
        let last = window?.close ?? Int128(fallback)
        let open = Int128(open)
        let volume = window?.volume ?? 0
        let quoteVolume = window?.quoteVolume ?? 0
        let price = { (units: Int128) in decimalText(units, scale: scales.price) }
        return Ticker24h(
            symbol: symbol,
            priceChange: price(last - open),
            priceChangePercent: decimalText(open == 0 ? 0 : roundedQuotient((last - open) * 100_000, open), scale: 3),
            weightedAvgPrice: price(weightedAverage(quoteVolume: quoteVolume, volume: volume, scales: scales)),
            prevClosePrice: price(Int128(prevClose)),
            lastPrice: price(last),
            openPrice: price(open),
            highPrice: price(window?.high ?? last),
            lowPrice: price(window?.low ?? last),
            volume: decimalText(volume, scale: scales.volume),
            quoteVolume: decimalText(quoteVolume, scale: scales.quote),
            openTime: now - day,
            closeTime: now,
            count: Int64(clamping: window?.trades ?? 0)
        )
    }

    /// quoteVolume / volume in price units, rounded half away from zero; 0 without volume.
    static func weightedAverage(quoteVolume: Int128, volume: Int128, scales: KlineScales) -> Int128 {
        guard volume > 0 else { return 0 }
        let exponent = scales.price + scales.volume - scales.quote
        var numerator = quoteVolume
        var denominator = volume
        for _ in 0..<abs(exponent) {
            let (value, overflow) = exponent > 0 ? numerator.multipliedReportingOverflow(by: 10)
                                                 : denominator.multipliedReportingOverflow(by: 10)
            guard !overflow else {
                let approximate = (Double(quoteVolume) / Double(volume)) * pow10(scales.price + scales.volume) / pow10(scales.quote)
                return Int128(approximate.rounded())
            }
            if exponent > 0 { numerator = value } else { denominator = value }
        }
        return roundedQuotient(numerator, denominator)
    }

    /// numerator / denominator (denominator > 0) rounded half away from zero.
    static func roundedQuotient(_ numerator: Int128, _ denominator: Int128) -> Int128 {
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        guard remainder.magnitude * 2 >= denominator.magnitude else { return quotient }
        return numerator < 0 ? quotient - 1 : quotient + 1
    }
}
