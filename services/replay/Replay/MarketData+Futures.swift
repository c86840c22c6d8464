// Futures-only queries, answered by the market's `FuturesExtras` (nil / [] for spot).
extension MarketData {
    /// Mark price, index price and funding of `symbol` at `now`; nil for spot or an unknown symbol.
    public func premiumIndex(symbol: String, now: Int64) -> PremiumIndex? {
        guard let extras = futuresExtras, let series = series[symbol] else { return nil }
        return extras.premiumIndex(symbol: symbol, now: now, lastClose: Fixed(units: lastClose(series, now: now), scale: series.scales.price))
    }

    /// Every symbol's premium index at `now`, in exchangeInfo order.
    public func premiumIndexes(now: Int64) -> [PremiumIndex] {
        symbols.compactMap { premiumIndex(symbol: $0.symbol, now: now) }
    }

    /// Funding rate history (of one symbol, or all when nil) as /fapi/v1/fundingRate selects it.
    public func fundingRates(symbol: String?, startTime: Int64?, endTime: Int64?, limit: Int, now: Int64) -> [FundingRate] {
        guard let extras = futuresExtras else { return [] }
        if let symbol, series[symbol] == nil { return [] }
        return extras.fundingRates(symbol: symbol, startTime: startTime, endTime: endTime, limit: limit, now: now)
    }

    /// Open interest of `symbol` at `now`; nil for spot or an unknown symbol.
    public func openInterest(symbol: String, now: Int64) -> OpenInterest? {
        guard let extras = futuresExtras, series[symbol] != nil else { return nil }
        return extras.openInterest(symbol: symbol, now: now)
    }

    /// Open-interest history of `symbol` per `periodMillis`, as /futures/data/openInterestHist selects it.
    public func openInterestHistory(symbol: String, periodMillis: Int64, startTime: Int64?, endTime: Int64?, limit: Int, now: Int64) -> [OpenInterestSample] {
        guard let extras = futuresExtras, let market = series[symbol] else { return [] }
        return extras.openInterestHistory(
            symbol: symbol, periodMillis: periodMillis, startTime: startTime, endTime: endTime, limit: limit, now: now
        ) { time in (lastClose(market, now: time), market.scales.price) }
    }

    /// Global long/short account ratios of `symbol` per `periodMillis`, as /futures/data selects them.
    public func longShortRatios(symbol: String, periodMillis: Int64, startTime: Int64?, endTime: Int64?, limit: Int,
                                now: Int64) -> [LongShortRatio] {
        guard let extras = futuresExtras, series[symbol] != nil else { return [] }
        return extras.longShortRatios(symbol: symbol, periodMillis: periodMillis, startTime: startTime, endTime: endTime,
                                      limit: limit, now: now)
    }

    /// The price at `now`: the current (partial) close, else the last close before, else the first open.
    private func lastClose(_ series: MarketSeries, now: Int64) -> Int64 {
        let end = series.firstIndex(after: now)
        guard end > 0 else { return series.rows.first?.open ?? 0 }
        return Self.partial(series.rows[end - 1], now: now).close
    }
}
