extension ArchiveLoader {
    /// Quote assets Binance lists, longest first so "FDUSD" wins over "USD" and "USDT" over "USD".
    static let quoteAssets: [String] = [
        "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "AEUR", "EURI", "BIDR", "IDRT",
        "BTC", "ETH", "BNB", "XRP", "TRX", "DOT", "SOL", "DAI", "USD", "TRY", "EUR", "GBP", "BRL", "JPY", "AUD",
        "RUB", "UAH", "NGN", "PLN", "RON", "ZAR", "ARS", "MXN", "COP", "CZK", "PAX", "DOGE",
    ].sorted { $0.count > $1.count }

    /// exchangeInfo's view of an archive symbol: TRADING, quote asset by suffix (an unknown suffix
    /// leaves the quote empty and the whole name as base), futures contracts PERPETUAL, tick and
    /// step sizes as the data shows them, printed at the series' scales.
    public static func symbolInfo(for series: Series, market: ReplayMarket) -> SymbolInfo {
        let symbol = series.symbol
        var base = symbol
        var quote = ""
        if let suffix = quoteAssets.first(where: { symbol.hasSuffix($0) && symbol.count > $0.count }) {
            quote = suffix
            base = String(symbol.dropLast(suffix.count))
        }
        let tick = Fixed(units: series.priceTickUnits, scale: series.scales.price).description
        let step = Fixed(units: series.volumeStepUnits, scale: series.scales.volume).description
        switch market {
        case .spot:
            return SymbolInfo(symbol: symbol, status: "TRADING", baseAsset: base, quoteAsset: quote, isSpotTradingAllowed: true,
                              permissions: ["SPOT"], contractType: "", scales: series.scales, tickSize: tick, stepSize: step)
        case .futures:
            return SymbolInfo(symbol: symbol, status: "TRADING", baseAsset: base, quoteAsset: quote, isSpotTradingAllowed: false,
                              permissions: [], contractType: "PERPETUAL", scales: series.scales, tickSize: tick, stepSize: step)
        }
    }
}
