/// The two Binance markets the replay server imitates.
public enum ReplayMarket: String, Sendable, Hashable, CaseIterable {
    case spot
    case futures
}

/// A fixed-point decimal as Binance prints it: `units × 10^-scale`, always shown with exactly
/// `scale` decimals ("0.10380000" has units 10380000 and scale 8). Sums stay exact.
public struct Fixed: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var units: Int64
    public var scale: Int

    public init(units: Int64, scale: Int) {
        precondition((0...18).contains(scale))
        self.units = units
        self.scale = scale
    }

    /// Parses "123.4500" exactly; nil for anything that is not a plain decimal.
    public init?(_ text: Substring, scale: Int? = nil) {
        var digits: Int64 = 0
        var negative = false
        var decimals = -1
        var index = text.startIndex
        if index < text.endIndex, text[index] == "-" { negative = true; index = text.index(after: index) }
        guard index < text.endIndex else { return nil }
        while index < text.endIndex {
            let character = text[index]
            if character == "." {
                guard decimals < 0 else { return nil }
                decimals = 0
            } else if let digit = character.wholeNumberValue, character.isASCII {
                let (times, overflow1) = digits.multipliedReportingOverflow(by: 10)
                let (plus, overflow2) = times.addingReportingOverflow(Int64(digit))
                guard !overflow1, !overflow2 else { return nil }
                digits = plus
                if decimals >= 0 { decimals += 1 }
            } else {
                return nil
            }
            index = text.index(after: index)
        }
        var actualScale = max(decimals, 0)
        if let scale {
            guard actualScale <= scale else { return nil }
            while actualScale < scale {
                let (times, overflow) = digits.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                digits = times
                actualScale += 1
            }
        }
        guard actualScale <= 18 else { return nil }
        self.init(units: negative ? -digits : digits, scale: actualScale)
    }

    /// The value with exactly `scale` decimals, as Binance shows it.
    public var description: String {
        let negative = units < 0
        var digits = String(units.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    public var doubleValue: Double { Double(units) / pow10(scale) }

    public static func < (lhs: Fixed, rhs: Fixed) -> Bool {
        precondition(lhs.scale == rhs.scale, "compare values of one scale")
        return lhs.units < rhs.units
    }
}

func pow10(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<exponent { result *= 10 }
    return result
}

/// One 1m kline of a series, every decimal field in the series' scales.
public struct Kline: Sendable, Hashable {
    public var openTime: Int64
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: Int64
    public var quoteVolume: Int64
    public var trades: Int64
    public var takerBuyVolume: Int64
    public var takerBuyQuoteVolume: Int64

    public init(openTime: Int64, open: Int64, high: Int64, low: Int64, close: Int64, volume: Int64, quoteVolume: Int64,
                trades: Int64, takerBuyVolume: Int64, takerBuyQuoteVolume: Int64) {
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.trades = trades
        self.takerBuyVolume = takerBuyVolume
        self.takerBuyQuoteVolume = takerBuyQuoteVolume
    }
}

/// Decimal places of a series' fields: prices (open/high/low/close), base volumes
/// (volume, taker-buy volume) and quote volumes (quote volume, taker-buy quote volume).
public struct KlineScales: Sendable, Hashable {
    public var price: Int
    public var volume: Int
    public var quote: Int
    public init(price: Int, volume: Int, quote: Int) {
        self.price = price
        self.volume = volume
        self.quote = quote
    }
}

/// A kline as served over REST and WebSocket: text decimals exactly as Binance prints them.
public struct KlineOut: Sendable, Hashable {
    public var openTime: Int64
    /// openTime + interval − 1 ms.
    public var closeTime: Int64
    public var open: String
    public var high: String
    public var low: String
    public var close: String
    public var volume: String
    public var quoteVolume: String
    public var trades: Int64
    public var takerBuyVolume: String
    public var takerBuyQuoteVolume: String
    /// false for the candle still open at "now".
    public var isClosed: Bool

    public init(openTime: Int64, closeTime: Int64, open: String, high: String, low: String, close: String, volume: String,
                quoteVolume: String, trades: Int64, takerBuyVolume: String, takerBuyQuoteVolume: String, isClosed: Bool) {
        self.openTime = openTime
        self.closeTime = closeTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.trades = trades
        self.takerBuyVolume = takerBuyVolume
        self.takerBuyQuoteVolume = takerBuyQuoteVolume
        self.isClosed = isClosed
    }
}

/// What exchangeInfo says of a symbol.
public struct SymbolInfo: Sendable, Hashable {
    public var symbol: String
    /// "TRADING", "BREAK", …
    public var status: String
    public var baseAsset: String
    public var quoteAsset: String
    /// Spot: whether spot trading is allowed (`isSpotTradingAllowed`).
    public var isSpotTradingAllowed: Bool
    /// Spot: permission sets, e.g. [["SPOT","MARGIN"]]; leveraged tokens carry "LEVERAGED".
    public var permissions: [String]
    /// Futures: "PERPETUAL", "CURRENT_QUARTER", "NEXT_QUARTER"; empty for spot.
    public var contractType: String
    public var scales: KlineScales
    /// Smallest price step and quantity step, as Binance prints them in filters.
    public var tickSize: String
    public var stepSize: String

    public init(symbol: String, status: String, baseAsset: String, quoteAsset: String, isSpotTradingAllowed: Bool = true,
                permissions: [String] = ["SPOT"], contractType: String = "", scales: KlineScales, tickSize: String, stepSize: String) {
        self.symbol = symbol
        self.status = status
        self.baseAsset = baseAsset
        self.quoteAsset = quoteAsset
        self.isSpotTradingAllowed = isSpotTradingAllowed
        self.permissions = permissions
        self.contractType = contractType
        self.scales = scales
        self.tickSize = tickSize
        self.stepSize = stepSize
    }
}

/// A 24h rolling-window ticker at "now" (Binance's /ticker/24hr fields we serve).
public struct Ticker24h: Sendable, Hashable {
    public var symbol: String
    public var priceChange: String
    public var priceChangePercent: String
    public var weightedAvgPrice: String
    public var prevClosePrice: String
    public var lastPrice: String
    public var openPrice: String
    public var highPrice: String
    public var lowPrice: String
    public var volume: String
    public var quoteVolume: String
    public var openTime: Int64
    public var closeTime: Int64
    public var count: Int64
}

public struct PremiumIndex: Sendable, Hashable {
    public var symbol: String
    public var markPrice: String
    public var indexPrice: String
    public var estimatedSettlePrice: String
    public var lastFundingRate: String
    public var interestRate: String
    public var nextFundingTime: Int64
    public var time: Int64
}

public struct FundingRate: Sendable, Hashable {
    public var symbol: String
    public var fundingRate: String
    public var fundingTime: Int64
    public var markPrice: String
}

public struct OpenInterest: Sendable, Hashable {
    public var symbol: String
    public var openInterest: String
    public var time: Int64
}

public struct OpenInterestSample: Sendable, Hashable {
    public var symbol: String
    /// Open interest in contracts (base asset).
    public var sumOpenInterest: String
    /// Open interest in USDT: contracts × the price at the sample time.
    public var sumOpenInterestValue: String
    public var timestamp: Int64
}

public struct LongShortRatio: Sendable, Hashable {
    public var symbol: String
    public var longShortRatio: String
    public var longAccount: String
    public var shortAccount: String
    public var timestamp: Int64
}
