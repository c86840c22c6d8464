import Core

/// The request weight Binance charges for the REST calls AlphaPulse makes (per IP and minute:
/// spot 6,000, USDT-M futures 2,400). Callers spend them from the budget pool named after the
/// market (`RequestCost(pool: market.rawValue, weight:)`).
public enum RequestWeights {
    /// `/api/v3/klines`: 2 whatever the limit; `/fapi/v1/klines`: 1 under 100 rows, 2 under
    /// 500, 5 up to 1,000, 10 above.
    public static func klines(_ market: Market, limit: Int) -> Int {
        guard market == .futures else { return 2 }
        switch limit {
        case ..<100: return 1
        case ..<500: return 2
        case ...1000: return 5
        default: return 10
        }
    }

    /// `exchangeInfo`: spot 20, futures 1.
    public static func exchangeInfo(_ market: Market) -> Int { market == .spot ? 20 : 1 }

    /// `ticker/24hr` for all symbols: spot 80, futures 40.
    public static func tickers24h(_ market: Market) -> Int { market == .spot ? 80 : 40 }

    /// `/fapi/v1/fundingRate`, `/futures/data/openInterestHist`,
    /// `/futures/data/globalLongShortAccountRatio`, `/fapi/v1/premiumIndex` (one symbol): 1 each.
    public static let futuresData = 1
}
