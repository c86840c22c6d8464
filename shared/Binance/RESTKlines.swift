import Core

/// The body of `GET /api/v3/klines` (spot) or `GET /fapi/v1/klines` (USDT-M futures): an array
/// of 12-element rows `[openTime, "open", "high", "low", "close", "volume", closeTime,
/// "quoteVolume", trades, "takerBuyVolume", "takerBuyQuoteVolume", "ignore"]`, parsed with
/// the same byte scanner and the same rules as WebSocket klines. Feeds backfill.
public struct RESTKlines: Sendable, Hashable {
    /// A row that failed validation; the others are still returned.
    public struct RowReject: Sendable, Hashable {
        /// 0-based position of the row in the body.
        public var index: Int
        public var reject: FrameReject

        public init(index: Int, reject: FrameReject) {
            self.index = index
            self.reject = reject
        }
    }

    /// The valid rows, in body order.
    public var klines: [KlineUpdate]
    /// The invalid rows, each with its reason (field names are the column names above).
    public var rejected: [RowReject]

    /// Parses a klines body for `symbol` and `interval`.
    ///
    /// A row is closed unless `now` (Unix ms) is given and the row's close time is not before
    /// it: Binance includes the kline still in progress as the last row.
    /// - Throws: `FrameReject` for a body that is not a JSON array (`malformed_json`,
    ///   `wrong_type`) or an invalid `symbol` (`bad_symbol`); row problems land in `rejected`.
    public static func parse(
        _ body: UnsafeRawBufferPointer, symbol: String, interval: KlineInterval, market: Market? = nil, now: Int64? = nil
    ) throws(FrameReject) -> RESTKlines {
        guard let stream = StreamName(symbol: symbol, kind: .kline(interval)), stream.symbol == symbol else {
            throw FrameReject(.badSymbol, field: "symbol")
        }
        guard let base = body.baseAddress, body.count > 0, body.count <= JSONScanner.maxCount else {
            throw FrameReject(.malformedJSON)
        }
        var scanner = JSONScanner(base: base.assumingMemoryBound(to: UInt8.self), count: body.count)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "[") else {
            _ = try scanner.value(depth: 0)
            throw FrameReject(.wrongType, field: "body")
        }
        var result = RESTKlines(klines: [], rejected: [])
        var index = 0
        try scanner.array(depth: 0) { (scanner: inout JSONScanner) throws(FrameReject) in
            defer { index += 1 }
            guard scanner.peek() == UInt8(ascii: "[") else {
                _ = try scanner.value(depth: 1)
                result.rejected.append(RowReject(index: index, reject: FrameReject(.badRow)))
                return
            }
            var cells = RowTokens()
            var cellCount = 0
            try scanner.array(depth: 1) { (scanner: inout JSONScanner) throws(FrameReject) in
                let cell = try scanner.value(depth: 2)
                if cellCount < 12 { cells[cellCount] = cell }
                cellCount += 1
            }
            guard cellCount == 12 else {
                result.rejected.append(RowReject(index: index, reject: FrameReject(.badRow)))
                return
            }
            do throws(FrameReject) {
                var kline = try row(scanner, cells, symbol: symbol, interval: interval, market: market)
                if let now, kline.closeTime >= now { kline.isClosed = false }
                result.klines.append(kline)
            } catch {
                result.rejected.append(RowReject(index: index, reject: error))
            }
        }
        try scanner.expectEnd()
        return result
    }

    public static func parse(
        _ body: [UInt8], symbol: String, interval: KlineInterval, market: Market? = nil, now: Int64? = nil
    ) throws(FrameReject) -> RESTKlines {
        try body.withUnsafeBytes { buffer in
            Result { () throws(FrameReject) -> RESTKlines in
                try parse(buffer, symbol: symbol, interval: interval, market: market, now: now)
            }
        }.get()
    }

    public static func parse(
        _ body: String, symbol: String, interval: KlineInterval, market: Market? = nil, now: Int64? = nil
    ) throws(FrameReject) -> RESTKlines {
        try parse(Array(body.utf8), symbol: symbol, interval: interval, market: market, now: now)
    }

    /// The 12 cell tokens of one row.
    struct RowTokens {
        private var cells = (
            Token.absent, Token.absent, Token.absent, Token.absent, Token.absent, Token.absent,
            Token.absent, Token.absent, Token.absent, Token.absent, Token.absent, Token.absent
        )

        subscript(index: Int) -> Token {
            get {
                switch index {
                case 0: cells.0
                case 1: cells.1
                case 2: cells.2
                case 3: cells.3
                case 4: cells.4
                case 5: cells.5
                case 6: cells.6
                case 7: cells.7
                case 8: cells.8
                case 9: cells.9
                case 10: cells.10
                default: cells.11
                }
            }
            set {
                switch index {
                case 0: cells.0 = newValue
                case 1: cells.1 = newValue
                case 2: cells.2 = newValue
                case 3: cells.3 = newValue
                case 4: cells.4 = newValue
                case 5: cells.5 = newValue
                case 6: cells.6 = newValue
                case 7: cells.7 = newValue
                case 8: cells.8 = newValue
                case 9: cells.9 = newValue
                case 10: cells.10 = newValue
                default: cells.11 = newValue
                }
            }
        }
    }

    private static func row(
        _ scanner: JSONScanner, _ cells: RowTokens, symbol: String, interval: KlineInterval, market: Market?
    ) throws(FrameReject) -> KlineUpdate {
        let openTime = try scanner.nonNegative(cells[0], "openTime")
        let open = try scanner.decimal(cells[1], "open", .price)
        let high = try scanner.decimal(cells[2], "high", .price)
        let low = try scanner.decimal(cells[3], "low", .price)
        let close = try scanner.decimal(cells[4], "close", .price)
        let volume = try scanner.decimal(cells[5], "volume", .volume)
        let closeTime = try scanner.nonNegative(cells[6], "closeTime")
        let quoteVolume = try scanner.decimal(cells[7], "quoteVolume", .volume)
        let trades = try scanner.nonNegative(cells[8], "trades")
        let takerBuyVolume = try scanner.decimal(cells[9], "takerBuyVolume", .volume)
        let takerBuyQuoteVolume = try scanner.decimal(cells[10], "takerBuyQuoteVolume", .volume)
        try KlineRules.check(
            interval: interval, openTime: openTime, closeTime: closeTime, open: open.value, high: high.value,
            low: low.value, close: close.value, fields: .rest
        )
        return KlineUpdate(
            market: market, symbol: symbol, interval: interval, openTime: openTime, closeTime: closeTime,
            eventTime: nil, firstTradeID: nil, lastTradeID: nil,
            open: open, high: high, low: low, close: close, volume: volume, quoteVolume: quoteVolume,
            takerBuyVolume: takerBuyVolume, takerBuyQuoteVolume: takerBuyQuoteVolume, trades: trades, isClosed: true
        )
    }
}
