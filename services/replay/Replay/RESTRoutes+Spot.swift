import Core
import Hummingbird

extension RESTRoutes {
    /// Spot: `/api/v3/ping`, `/time`, `/exchangeInfo`, `/ticker/24hr`, `/klines`.
    static func registerSpot<Context: RequestContext>(on endpoints: Endpoints<Context>) {
        let limits = endpoints.server.limits
        endpoints.get("/api/v3/ping", weight: { _ in 1 }) { _, _, _ in .object([]) }
        endpoints.get("/api/v3/time", weight: { _ in 1 }) { _, _, now in .object([("serverTime", .int(now))]) }

        endpoints.get("/api/v3/exchangeInfo", weight: { _ in 20 }) { query, data, now throws(BinanceError) in
            let symbol = try query.symbol(required: false)
            let symbols = try query.symbols()
            if symbol != nil, symbols != nil { throw .invalidCombination }
            let selected = try select(symbol.map { [$0] } ?? symbols, from: data)
            return .object([
                ("timezone", .string("UTC")),
                ("serverTime", .int(now)),
                ("rateLimits", rateLimits(.spot, weightLimit: limits.limit(.spot))),
                ("exchangeFilters", .array([])),
                ("symbols", .array(selected.map(spotSymbol))),
            ])
        }

        endpoints.get("/api/v3/ticker/24hr", weight: spotTickerWeight) { query, data, now throws(BinanceError) in
            let symbol = try query.symbol(required: false)
            let symbols = try query.symbols()
            if symbol != nil, symbols != nil { throw .invalidCombination }
            let mini: Bool
            switch query["type"] ?? "FULL" {
            case "FULL": mini = false
            case "MINI": mini = true
            default: throw .invalidParameterValue("type")
            }
            if let symbol {
                guard let ticker = data.ticker24h(symbol: symbol, now: now), let info = data.info(symbol) else {
                    throw .invalidSymbol
                }
                return spotTicker(ticker, info: info, mini: mini)
            }
            let infos = try select(symbols, from: data)
            let tickers = Dictionary(data.tickers24h(now: now).map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
            return .array(infos.compactMap { info in tickers[info.symbol].map { spotTicker($0, info: info, mini: mini) } })
        }

        endpoints.get("/api/v3/klines", weight: { _ in 2 }) { query, data, now throws(BinanceError) in
            try klines(query, data: data, now: now, maximumLimit: 1000, uppercased: false)
        }
    }

    /// Spot `/ticker/24hr`: 2 for one symbol or up to 20 listed, 40 for up to 100, else 80.
    @Sendable static func spotTickerWeight(_ query: BinanceQuery) -> Int {
        if query["symbol"] != nil { return 2 }
        guard query["symbols"] != nil else { return 80 }
        guard let symbols = try? query.symbols() else { return 2 }
        switch symbols.count {
        case ...20: return 2
        case ...100: return 40
        default: return 80
        }
    }

    /// The listed symbols, or all of them when `names` is nil; -1121 for any unknown one.
    static func select(_ names: [String]?, from data: MarketData) throws(BinanceError) -> [SymbolInfo] {
        guard let names else { return data.symbols }
        var infos: [SymbolInfo] = []
        for name in names {
            guard let info = data.info(name) else { throw .invalidSymbol }
            infos.append(info)
        }
        return infos
    }

    /// `/klines` of either market.
    static func klines(
        _ query: BinanceQuery, data: MarketData, now: Int64, maximumLimit: Int, uppercased: Bool
    ) throws(BinanceError) -> BinanceJSON {
        guard let symbol = try query.symbol(required: true, uppercased: uppercased) else { throw .mandatoryParameter("symbol") }
        let interval = try query.interval()
        let range = try query.timeRange()
        let limit = try query.limit(default: 500, maximum: maximumLimit)
        guard
            let rows = data.klines(
                symbol: symbol, interval: interval, startTime: range.start, endTime: range.end, limit: limit, now: now)
        else { throw .invalidSymbol }
        return .array(rows.map(BinanceJSON.init(klineRow:)))
    }

    /// The `rateLimits` array of exchangeInfo, with the configured request-weight limit.
    static func rateLimits(_ market: ReplayMarket, weightLimit: Int) -> BinanceJSON {
        func limit(_ type: String, _ interval: String, _ number: Int, _ value: Int) -> BinanceJSON {
            .object([
                ("rateLimitType", .string(type)), ("interval", .string(interval)),
                ("intervalNum", .int(number)), ("limit", .int(value)),
            ])
        }
        switch market {
        case .spot:
            return .array([
                limit("REQUEST_WEIGHT", "MINUTE", 1, weightLimit), limit("ORDERS", "SECOND", 10, 100),
                limit("ORDERS", "DAY", 1, 200_000), limit("RAW_REQUESTS", "MINUTE", 5, 61_000),
            ])
        case .futures:
            return .array([
                limit("REQUEST_WEIGHT", "MINUTE", 1, weightLimit), limit("ORDERS", "MINUTE", 1, 1200),
                limit("ORDERS", "SECOND", 10, 300),
            ])
        }
    }

    /// One symbol of spot exchangeInfo, with Binance's fields in Binance's order.
    @Sendable static func spotSymbol(_ info: SymbolInfo) -> BinanceJSON {
        let priceScale = DecimalText.decimals(info.tickSize)
        let quantityScale = DecimalText.decimals(info.stepSize)
        let strings: ([String]) -> BinanceJSON = { .array($0.map(BinanceJSON.string)) }
        return .object([
            ("symbol", .string(info.symbol)),
            ("status", .string(info.status)),
            ("baseAsset", .string(info.baseAsset)),
            ("baseAssetPrecision", .int(8)),
            ("quoteAsset", .string(info.quoteAsset)),
            ("quotePrecision", .int(8)),
            ("quoteAssetPrecision", .int(8)),
            ("baseCommissionPrecision", .int(8)),
            ("quoteCommissionPrecision", .int(8)),
            ("orderTypes", strings(["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"])),
            ("icebergAllowed", .bool(true)),
            ("ocoAllowed", .bool(true)),
            ("otoAllowed", .bool(true)),
            ("quoteOrderQtyMarketAllowed", .bool(true)),
            ("allowTrailingStop", .bool(true)),
            ("cancelReplaceAllowed", .bool(true)),
            ("isSpotTradingAllowed", .bool(info.isSpotTradingAllowed)),
            ("isMarginTradingAllowed", .bool(info.permissions.contains("MARGIN"))),
            ("filters", .array([
                .object([
                    ("filterType", .string("PRICE_FILTER")), ("minPrice", .string(info.tickSize)),
                    ("maxPrice", .string(DecimalText.limit(1_000_000, scale: priceScale))), ("tickSize", .string(info.tickSize)),
                ]),
                .object([
                    ("filterType", .string("LOT_SIZE")), ("minQty", .string(info.stepSize)),
                    ("maxQty", .string(DecimalText.limit(9_000_000, scale: quantityScale))), ("stepSize", .string(info.stepSize)),
                ]),
                .object([("filterType", .string("ICEBERG_PARTS")), ("limit", .int(10))]),
                .object([
                    ("filterType", .string("NOTIONAL")), ("minNotional", .string("5.00000000")), ("applyMinToMarket", .bool(true)),
                    ("maxNotional", .string("9000000.00000000")), ("applyMaxToMarket", .bool(false)), ("avgPriceMins", .int(5)),
                ]),
                .object([("filterType", .string("MAX_NUM_ORDERS")), ("maxNumOrders", .int(200))]),
                .object([("filterType", .string("MAX_NUM_ALGO_ORDERS")), ("maxNumAlgoOrders", .int(5))]),
            ])),
            // Binance now sends the permissions as `permissionSets`; older clients read
            // `permissions`, so both carry them.
            ("permissions", strings(info.permissions)),
            ("permissionSets", .array([strings(info.permissions)])),
            ("defaultSelfTradePreventionMode", .string("EXPIRE_MAKER")),
            ("allowedSelfTradePreventionModes", strings(["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"])),
        ])
    }

    /// Spot's 24h ticker. Bid/ask and last quantity are not in kline data: the bid is the last
    /// price, the ask one tick above, quantities zero.
    static func spotTicker(_ ticker: Ticker24h, info: SymbolInfo, mini: Bool) -> BinanceJSON {
        let zeroQuantity = DecimalText.zero(scale: DecimalText.decimals(ticker.volume))
        let ids = tradeIDs(ticker)
        if mini {
            return .object([
                ("symbol", .string(ticker.symbol)), ("openPrice", .string(ticker.openPrice)),
                ("highPrice", .string(ticker.highPrice)), ("lowPrice", .string(ticker.lowPrice)),
                ("lastPrice", .string(ticker.lastPrice)), ("volume", .string(ticker.volume)),
                ("quoteVolume", .string(ticker.quoteVolume)), ("openTime", .int(ticker.openTime)),
                ("closeTime", .int(ticker.closeTime)), ("firstId", .int(ids.first)), ("lastId", .int(ids.last)),
                ("count", .int(ticker.count)),
            ])
        }
        return .object([
            ("symbol", .string(ticker.symbol)),
            ("priceChange", .string(ticker.priceChange)),
            ("priceChangePercent", .string(ticker.priceChangePercent)),
            ("weightedAvgPrice", .string(ticker.weightedAvgPrice)),
            ("prevClosePrice", .string(ticker.prevClosePrice)),
            ("lastPrice", .string(ticker.lastPrice)),
            ("lastQty", .string(zeroQuantity)),
            ("bidPrice", .string(ticker.lastPrice)),
            ("bidQty", .string(zeroQuantity)),
            ("askPrice", .string(DecimalText.sum(ticker.lastPrice, info.tickSize) ?? ticker.lastPrice)),
            ("askQty", .string(zeroQuantity)),
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

    /// Trade ids spanning the window's `count` trades (Binance sends -1/-1 for none). The data
    /// has no trade ids, so they are numbered from the window's open time, which keeps them
    /// increasing as the window moves.
    static func tradeIDs(_ ticker: Ticker24h) -> (first: Int64, last: Int64) {
        guard ticker.count > 0 else { return (-1, -1) }
        let first = max(ticker.openTime / 1000, 0)
        return (first, first + ticker.count - 1)
    }
}
