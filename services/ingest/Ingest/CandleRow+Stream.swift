import CandleStore
import Core

extension CandleRow {
    /// Decodes an entry of the `candles` stream (see `IngestKeys`): a closed 1m kline with its
    /// prices and volumes as Binance's exact decimal text. `src` is `ws` or `backfill`.
    ///
    /// nil when a field is missing or not of its type: the entry is then acknowledged and
    /// counted as dropped, since it can never become valid.
    public init?(streamFields fields: [(name: String, value: String)]) {
        var values: [String: String] = [:]
        for field in fields { values[field.name] = field.value }
        guard let marketText = values["m"], let market = Market(rawValue: marketText), let symbol = values["s"], !symbol.isEmpty,
              let openTime = values["t"].flatMap({ Int64($0) }), let closeTime = values["T"].flatMap({ Int64($0) }),
              let open = values["o"], let high = values["h"], let low = values["l"], let close = values["c"],
              let volume = values["v"], let quoteVolume = values["q"], let trades = values["n"].flatMap({ Int64($0) }),
              let takerBuyVolume = values["V"], let takerBuyQuoteVolume = values["Q"]
        else { return nil }
        for text in [open, high, low, close, volume, quoteVolume, takerBuyVolume, takerBuyQuoteVolume] where Double(text) == nil {
            return nil
        }
        self.init(
            market: market, symbol: symbol, interval: .oneMinute, openTime: openTime, closeTime: closeTime, open: open, high: high,
            low: low, close: close, volume: volume, quoteVolume: quoteVolume, trades: trades, takerBuyVolume: takerBuyVolume,
            takerBuyQuoteVolume: takerBuyQuoteVolume, source: values["src"] == "backfill" ? .backfill : .ws)
    }
}
