import Core
import Foundation
import Hummingbird

extension RESTRoutes {
    /// USDⓈ-M futures: `/fapi/v1/ping`, `/time`, `/exchangeInfo`, `/ticker/24hr`, `/klines`,
    /// `/premiumIndex`, `/fundingRate`, `/openInterest`, `/futures/data/openInterestHist` and
    /// `/futures/data/globalLongShortAccountRatio`.
    ///
    /// Futures accepts symbols in any case, as Binance's futures API does.
    static func registerFutures<Context: RequestContext>(on endpoints: Endpoints<Context>) {
        let limits = endpoints.server.limits
        endpoints.get("/fapi/v1/ping", weight: { _ in 1 }) { _, _, _ in .object([]) }
        endpoints.get("/fapi/v1/time", weight: { _ in 1 }) { _, _, now in .object([("serverTime", .int(now))]) }

        endpoints.get("/fapi/v1/exchangeInfo", weight: { _ in 1 }) { _, data, now in
            let quoteAssets = Set(data.symbols.map(\.quoteAsset)).sorted()
            return .object([
                ("timezone", .string("UTC")),
                ("serverTime", .int(now)),
                ("futuresType", .string("U_MARGINED")),
                ("rateLimits", rateLimits(.futures, weightLimit: limits.limit(.futures))),
                ("exchangeFilters", .array([])),
                ("assets", .array(quoteAssets.map { asset in
                    .object([
                        ("asset", .string(asset)), ("marginAvailable", .bool(true)),
                        ("autoAssetExchange", .string(asset == "USDT" ? "-10000" : "0")),
                    ])
                })),
                ("symbols", .array(data.symbols.map { futuresSymbol($0, onboardDate: data.firstOpenTime ?? 0, now: now) })),
            ])
        }

        endpoints.get("/fapi/v1/ticker/24hr", weight: { $0["symbol"] == nil ? 40 : 1 }) { query, data, now throws(BinanceError) in
            if let symbol = try query.symbol(required: false, uppercased: true) {
                guard let ticker = data.ticker24h(symbol: symbol, now: now) else { throw .invalidSymbol }
                return futuresTicker(ticker)
            }
            return .array(data.tickers24h(now: now).map(futuresTicker))
        }

        endpoints.get("/fapi/v1/klines", weight: { futuresKlinesWeight(limit: $0.limitForWeight(default: 500)) }) {
            query, data, now throws(BinanceError) in
            try klines(query, data: data, now: now, maximumLimit: 1500, uppercased: true)
        }

        endpoints.get("/fapi/v1/premiumIndex", weight: { $0["symbol"] == nil ? 10 : 1 }) { query, data, now throws(BinanceError) in
            if let symbol = try query.symbol(required: false, uppercased: true) {
                guard let index = data.premiumIndex(symbol: symbol, now: now) else { throw .invalidSymbol }
                return premiumIndex(index)
            }
            return .array(data.premiumIndexes(now: now).map(premiumIndex))
        }

        endpoints.get("/fapi/v1/fundingRate", weight: { _ in 1 }) { query, data, now throws(BinanceError) in
            let symbol = try query.symbol(required: false, uppercased: true)
            if let symbol, data.info(symbol) == nil { throw .invalidSymbol }
            let range = try query.timeRange()
            let limit = try query.limit(default: 100, maximum: 1000)
            let rates = data.fundingRates(symbol: symbol, startTime: range.start, endTime: range.end, limit: limit, now: now)
            return .array(rates.map { rate in
                .object([
                    ("symbol", .string(rate.symbol)), ("fundingTime", .int(rate.fundingTime)),
                    ("fundingRate", .string(rate.fundingRate)), ("markPrice", .string(rate.markPrice)),
                ])
            })
        }

        endpoints.get("/fapi/v1/openInterest", weight: { _ in 1 }) { query, data, now throws(BinanceError) in
            guard let symbol = try query.symbol(required: true, uppercased: true) else { throw .mandatoryParameter("symbol") }
            guard let interest = data.openInterest(symbol: symbol, now: now) else { throw .invalidSymbol }
            return .object([
                ("openInterest", .string(interest.openInterest)), ("symbol", .string(interest.symbol)), ("time", .int(interest.time)),
            ])
        }

        // Binance gives /futures/data/* their own limit (1000 requests per 5 minutes per IP)
        // instead of a request weight; it is not enforced here.
        endpoints.get("/futures/data/openInterestHist", weight: { _ in 0 }) { query, data, now throws(BinanceError) in
            let asked = try query.statistics(data)
            let samples = data.openInterestHistory(
                symbol: asked.symbol, periodMillis: asked.period, startTime: asked.start, endTime: asked.end, limit: asked.limit, now: now)
            return .array(samples.map { sample in
                .object([
                    ("symbol", .string(sample.symbol)), ("sumOpenInterest", .string(sample.sumOpenInterest)),
                    ("sumOpenInterestValue", .string(sample.sumOpenInterestValue)), ("timestamp", .int(sample.timestamp)),
                ])
            })
        }

        endpoints.get("/futures/data/globalLongShortAccountRatio", weight: { _ in 0 }) { query, data, now throws(BinanceError) in
            let asked = try query.statistics(data)
            let ratios = data.longShortRatios(
                symbol: asked.symbol, periodMillis: asked.period, startTime: asked.start, endTime: asked.end, limit: asked.limit, now: now)
            return .array(ratios.map { ratio in
                .object([
                    ("symbol", .string(ratio.symbol)), ("longShortRatio", .string(ratio.longShortRatio)),
                    ("longAccount", .string(ratio.longAccount)), ("shortAccount", .string(ratio.shortAccount)),
                    ("timestamp", .int(ratio.timestamp)),
                ])
            })
        }
    }

    /// The periods of Binance's futures statistics endpoints, in milliseconds.
    static let statisticsPeriods: [String: Int64] = [
        "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000,
        "4h": 14_400_000, "6h": 21_600_000, "12h": 43_200_000, "1d": 86_400_000,
    ]

    /// Futures `/klines` weight by `limit`: [1,100) 1, [100,500) 2, [500,1000] 5, above 10.
    static func futuresKlinesWeight(limit: Int) -> Int {
        switch limit {
        case ..<100: 1
        case ..<500: 2
        case ...1000: 5
        default: 10
        }
    }

    @Sendable static func futuresTicker(_ ticker: Ticker24h) -> BinanceJSON {
        let ids = tradeIDs(ticker)
        return .object([
            ("symbol", .string(ticker.symbol)),
            ("priceChange", .string(ticker.priceChange)),
            ("priceChangePercent", .string(ticker.priceChangePercent)),
            ("weightedAvgPrice", .string(ticker.weightedAvgPrice)),
            ("lastPrice", .string(ticker.lastPrice)),
            ("lastQty", .string(DecimalText.zero(scale: DecimalText.decimals(ticker.volume)))),
            ("openPrice", .string(ticker.openPrice)),
            ("highPrice", .string(ticker.highPrice)),
            ("lowPrice", .string(ticker.lowPrice)),
            ("volume", .string(ticker.volume)),
            ("quoteVolume", .string(ticker.quoteVolume)),
            ("openTime", .int(ticker.openTime)),
            ("closeTime", .int(ticker.closeTime)),
            ("firstId", .int(ids.first)),
            ("lastId", .int(ids.last)),
            ("count", .int(ticker.count)),
        ])
    }

    @Sendable static func premiumIndex(_ index: PremiumIndex) -> BinanceJSON {
        .object([
            ("symbol", .string(index.symbol)),
            ("markPrice", .string(index.markPrice)),
            ("indexPrice", .string(index.indexPrice)),
            ("estimatedSettlePrice", .string(index.estimatedSettlePrice)),
            ("lastFundingRate", .string(index.lastFundingRate)),
            ("interestRate", .string(index.interestRate)),
            ("nextFundingTime", .int(index.nextFundingTime)),
            ("time", .int(index.time)),
        ])
    }

    /// One symbol of futures exchangeInfo, with Binance's fields in Binance's order.
    static func futuresSymbol(_ info: SymbolInfo, onboardDate: Int64, now: Int64) -> BinanceJSON {
        let contractType = info.contractType.isEmpty ? "PERPETUAL" : info.contractType
        let pair = info.symbol.split(separator: "_").first.map(String.init) ?? info.symbol
        let strings: ([String]) -> BinanceJSON = { .array($0.map(BinanceJSON.string)) }
        return .object([
            ("symbol", .string(info.symbol)),
            ("pair", .string(pair)),
            ("contractType", .string(contractType)),
            ("deliveryDate", .int(DeliveryDate.of(symbol: info.symbol, contractType: contractType, now: now))),
            ("onboardDate", .int(onboardDate)),
            ("status", .string(info.status)),
            ("maintMarginPercent", .string("2.5000")),
            ("requiredMarginPercent", .string("5.0000")),
            ("baseAsset", .string(info.baseAsset)),
            ("quoteAsset", .string(info.quoteAsset)),
            ("marginAsset", .string(info.quoteAsset)),
            ("pricePrecision", .int(info.scales.price)),
            ("quantityPrecision", .int(info.scales.volume)),
            ("baseAssetPrecision", .int(8)),
            ("quotePrecision", .int(8)),
            ("underlyingType", .string("COIN")),
            ("underlyingSubType", .array([])),
            ("settlePlan", .int(0)),
            ("triggerProtect", .string("0.0500")),
            ("liquidationFee", .string("0.012500")),
            ("marketTakeBound", .string("0.05")),
            ("maxMoveOrderLimit", .int(10_000)),
            ("filters", .array([
                .object([
                    ("minPrice", .string(info.tickSize)), ("maxPrice", .string("1000000")),
                    ("filterType", .string("PRICE_FILTER")), ("tickSize", .string(info.tickSize)),
                ]),
                .object([
                    ("stepSize", .string(info.stepSize)), ("filterType", .string("LOT_SIZE")),
                    ("maxQty", .string("1000000")), ("minQty", .string(info.stepSize)),
                ]),
                .object([
                    ("stepSize", .string(info.stepSize)), ("filterType", .string("MARKET_LOT_SIZE")),
                    ("maxQty", .string("100000")), ("minQty", .string(info.stepSize)),
                ]),
                .object([("limit", .int(200)), ("filterType", .string("MAX_NUM_ORDERS"))]),
                .object([("limit", .int(10)), ("filterType", .string("MAX_NUM_ALGO_ORDERS"))]),
                .object([("notional", .string("5")), ("filterType", .string("MIN_NOTIONAL"))]),
                .object([
                    ("multiplierDown", .string("0.9500")), ("multiplierUp", .string("1.0500")),
                    ("multiplierDecimal", .string("4")), ("filterType", .string("PERCENT_PRICE")),
                ]),
            ])),
            ("orderTypes", strings(["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"])),
            ("timeInForce", strings(["GTC", "IOC", "FOK", "GTX", "GTD"])),
        ])
    }
}

/// Delivery dates of futures contracts.
enum DeliveryDate {
    /// What Binance shows for perpetual contracts (2100-12-25 08:00 UTC).
    static let perpetual: Int64 = 4_133_404_800_000

    /// The delivery time of a contract: from a `_YYMMDD` symbol suffix when present, else the
    /// last Friday 08:00 UTC of the current (or next) quarter after `now`.
    static func of(symbol: String, contractType: String, now: Int64) -> Int64 {
        switch contractType {
        case "CURRENT_QUARTER", "NEXT_QUARTER", "CURRENT_MONTH", "NEXT_MONTH":
            if let suffix = symbol.split(separator: "_").dropFirst().first, let date = fromSuffix(suffix) { return date }
            let current = quarterEnd(after: now)
            return contractType == "NEXT_QUARTER" ? quarterEnd(after: current) : current
        default:
            return perpetual
        }
    }

    static func fromSuffix(_ suffix: Substring) -> Int64? {
        guard suffix.count == 6, let digits = Int(suffix) else { return nil }
        var components = DateComponents()
        components.year = 2000 + digits / 10_000
        components.month = digits / 100 % 100
        components.day = digits % 100
        components.hour = 8
        guard (1...12).contains(components.month ?? 0), (1...31).contains(components.day ?? 0),
              let date = utcCalendar.date(from: components)
        else { return nil }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    /// The first quarterly delivery (last Friday of Mar/Jun/Sep/Dec, 08:00 UTC) after `millis`.
    static func quarterEnd(after millis: Int64) -> Int64 {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        var year = utcCalendar.component(.year, from: date)
        var month = ((utcCalendar.component(.month, from: date) - 1) / 3 + 1) * 3
        for _ in 0..<8 {
            if let delivery = lastFriday(year: year, month: month), delivery > millis { return delivery }
            month += 3
            if month > 12 { month -= 12; year += 1 }
        }
        return perpetual
    }

    private static func lastFriday(year: Int, month: Int) -> Int64? {
        var components = DateComponents(year: year, month: month + 1, day: 1, hour: 8)
        if month == 12 { components.year = year + 1; components.month = 1 }
        guard let firstOfNext = utcCalendar.date(from: components) else { return nil }
        var day = firstOfNext.addingTimeInterval(-86_400)
        while utcCalendar.component(.weekday, from: day) != 6 { day.addTimeInterval(-86_400) }
        return Int64(day.timeIntervalSince1970 * 1000)
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current
        return calendar
    }()
}

extension BinanceQuery {
    /// The parameters of a `/futures/data/*` statistics endpoint: a known `symbol`, a `period`
    /// Binance offers, `limit` (default 30, at most 500) and the time range.
    func statistics(_ data: MarketData) throws(BinanceError) -> (symbol: String, period: Int64, limit: Int, start: Int64?, end: Int64?) {
        guard let symbol = try symbol(required: true, uppercased: true) else { throw .mandatoryParameter("symbol") }
        guard let periodText = self["period"] else { throw .mandatoryParameter("period") }
        guard let period = RESTRoutes.statisticsPeriods[periodText] else { throw .invalidParameterValue("period") }
        let limit = try limit(default: 30, maximum: 500)
        let range = try timeRange()
        guard data.info(symbol) != nil else { throw .invalidSymbol }
        return (symbol, period, limit, range.start, range.end)
    }
}
