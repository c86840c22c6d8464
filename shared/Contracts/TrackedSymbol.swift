import Core

/// A symbol chosen for tracking, with the figures it was ranked by.
public struct TrackedSymbol: Sendable, Hashable, Codable {
    public var market: Market
    public var symbol: String
    public var baseAsset: String
    /// 1 = the largest 24 h quote volume of its market.
    public var rank: Int
    /// Decimals exactly as Binance printed them.
    public var quoteVolume24h: String
    public var lastPrice: String
    public var priceChangePercent: String

    public init(
        market: Market, symbol: String, baseAsset: String, rank: Int, quoteVolume24h: String, lastPrice: String,
        priceChangePercent: String
    ) {
        self.market = market
        self.symbol = symbol
        self.baseAsset = baseAsset
        self.rank = rank
        self.quoteVolume24h = quoteVolume24h
        self.lastPrice = lastPrice
        self.priceChangePercent = priceChangePercent
    }

    enum CodingKeys: String, CodingKey {
        case market, symbol, rank
        case baseAsset = "base_asset"
        case quoteVolume24h = "quote_volume_24h"
        case lastPrice = "last_price"
        case priceChangePercent = "price_change_pct"
    }
}

/// A symbol of a market, as named in change messages.
public struct MarketSymbol: Sendable, Hashable, Codable, Comparable {
    public var market: Market
    public var symbol: String

    public init(_ market: Market, _ symbol: String) {
        self.market = market
        self.symbol = symbol
    }

    public static func < (lhs: MarketSymbol, rhs: MarketSymbol) -> Bool {
        (lhs.market.rawValue, lhs.symbol) < (rhs.market.rawValue, rhs.symbol)
    }
}
