import Core

/// Value tokens of a kline's `k` object, by Binance's key.
struct KlineTokens {
    var t = Token.absent, T = Token.absent, s = Token.absent, i = Token.absent
    var f = Token.absent, L = Token.absent, n = Token.absent, x = Token.absent
    var o = Token.absent, c = Token.absent, h = Token.absent, l = Token.absent
    var v = Token.absent, q = Token.absent, V = Token.absent, Q = Token.absent
}

/// Value tokens of an event payload (kline or markPriceUpdate), by Binance's key.
struct PayloadTokens {
    var e = Token.absent, E = Token.absent, s = Token.absent, k = Token.absent
    var p = Token.absent, i = Token.absent, P = Token.absent, r = Token.absent, T = Token.absent
    /// Filled when `k` is an object.
    var kline = KlineTokens()
}

/// Value tokens of a frame's top level besides payload keys.
struct EnvelopeTokens {
    var stream = Token.absent, data = Token.absent
    var result = Token.absent, id = Token.absent, error = Token.absent, code = Token.absent, msg = Token.absent
}

/// The combined-stream name a payload arrived under.
struct StreamContext {
    var kind: StreamName.Kind
    /// The lower-case symbol's bytes in the frame.
    var symbol: (start: Int, end: Int)
}

/// Turns a frame into tokens in one pass, then the tokens into a validated `BinanceFrame`.
enum FrameParser {
    @inline(__always)
    static func parse(_ scanner: JSONScanner, market: Market?) throws(FrameReject) -> BinanceFrame {
        var scanner = scanner
        var envelope = EnvelopeTokens()
        var data = PayloadTokens()
        var raw = PayloadTokens()
        scanner.skipWhitespace()
        try scanner.object(depth: 0) { (scanner: inout JSONScanner, key: Token) throws(FrameReject) in
            let keyLength = key.end - key.start - 2
            if keyLength == 1 {
                try payloadMember(&scanner, key: scanner[key.start + 1], into: &raw, depth: 1)
                return
            }
            let name = (start: key.start + 1, end: key.end - 1)
            if scanner.equal(name, "stream") {
                try capture(&envelope.stream, scanner.scalarOrValue(depth: 1), "stream")
            } else if scanner.equal(name, "data") {
                guard !envelope.data.isPresent else { throw FrameReject(.duplicateField, field: "data") }
                if scanner.peek() == UInt8(ascii: "{") {
                    let start = scanner.index
                    try payloadObject(&scanner, into: &data, depth: 1)
                    envelope.data = Token(start: start, end: scanner.index)
                } else {
                    envelope.data = try scanner.value(depth: 1)
                }
            } else if scanner.equal(name, "result") {
                try capture(&envelope.result, scanner.value(depth: 1), "result")
            } else if scanner.equal(name, "id") {
                try capture(&envelope.id, scanner.value(depth: 1), "id")
            } else if scanner.equal(name, "error") {
                try capture(&envelope.error, scanner.value(depth: 1), "error")
            } else if scanner.equal(name, "code") {
                try capture(&envelope.code, scanner.value(depth: 1), "code")
            } else if scanner.equal(name, "msg") {
                try capture(&envelope.msg, scanner.value(depth: 1), "msg")
            } else {
                _ = try scanner.value(depth: 1)
            }
        }
        try scanner.expectEnd()

        if envelope.stream.isPresent || envelope.data.isPresent {
            let (start, end) = try scanner.stringContent(envelope.stream, "stream")
            guard let name = StreamName.scan(scanner.base + start, end - start) else {
                throw FrameReject(.unknownStream, field: "stream")
            }
            let dataToken = try scanner.required(envelope.data, "data")
            guard scanner[dataToken.start] == UInt8(ascii: "{") else { throw FrameReject(.wrongType, field: "data") }
            let stream = StreamContext(kind: name.kind, symbol: (start, start + name.symbolLength))
            return try payload(scanner, data, stream: stream, market: market)
        }
        if envelope.result.isPresent || envelope.error.isPresent || (envelope.code.isPresent && !raw.e.isPresent) {
            return try reply(scanner, envelope)
        }
        guard raw.e.isPresent else { throw FrameReject(.unknownEvent, field: "e") }
        return try payload(scanner, raw, stream: nil, market: market)
    }

    @inline(__always)
    static func capture(_ slot: inout Token, _ token: Token, _ field: String) throws(FrameReject) {
        guard !slot.isPresent else { throw FrameReject(.duplicateField, field: field) }
        slot = token
    }

    // MARK: - Scanning

    static func payloadObject(_ scanner: inout JSONScanner, into tokens: inout PayloadTokens, depth: Int) throws(FrameReject) {
        try scanner.object(depth: depth) { (scanner: inout JSONScanner, key: Token) throws(FrameReject) in
            guard key.end - key.start == 3 else {
                _ = try scanner.value(depth: depth + 1)
                return
            }
            try payloadMember(&scanner, key: scanner[key.start + 1], into: &tokens, depth: depth + 1)
        }
    }

    /// One single-letter member of a payload; the scanner is at its value.
    @inline(__always)
    static func payloadMember(_ scanner: inout JSONScanner, key: UInt8, into tokens: inout PayloadTokens, depth: Int) throws(FrameReject) {
        switch key {
        case UInt8(ascii: "e"): try capture(&tokens.e, scanner.scalarOrValue(depth: depth), "e")
        case UInt8(ascii: "E"): try capture(&tokens.E, scanner.scalarOrValue(depth: depth), "E")
        case UInt8(ascii: "s"): try capture(&tokens.s, scanner.scalarOrValue(depth: depth), "s")
        case UInt8(ascii: "p"): try capture(&tokens.p, scanner.scalarOrValue(depth: depth), "p")
        case UInt8(ascii: "i"): try capture(&tokens.i, scanner.scalarOrValue(depth: depth), "i")
        case UInt8(ascii: "P"): try capture(&tokens.P, scanner.scalarOrValue(depth: depth), "P")
        case UInt8(ascii: "r"): try capture(&tokens.r, scanner.scalarOrValue(depth: depth), "r")
        case UInt8(ascii: "T"): try capture(&tokens.T, scanner.scalarOrValue(depth: depth), "T")
        case UInt8(ascii: "k"):
            guard !tokens.k.isPresent else { throw FrameReject(.duplicateField, field: "k") }
            if scanner.peek() == UInt8(ascii: "{") {
                let start = scanner.index
                try klineObject(&scanner, into: &tokens.kline, depth: depth)
                tokens.k = Token(start: start, end: scanner.index)
            } else {
                tokens.k = try scanner.value(depth: depth)
            }
        default:
            _ = try scanner.value(depth: depth)
        }
    }

    static func klineObject(_ scanner: inout JSONScanner, into k: inout KlineTokens, depth: Int) throws(FrameReject) {
        try scanner.object(depth: depth) { (scanner: inout JSONScanner, key: Token) throws(FrameReject) in
            guard key.end - key.start == 3 else {
                _ = try scanner.value(depth: depth + 1)
                return
            }
            let value = try scanner.scalarOrValue(depth: depth + 1)
            switch scanner[key.start + 1] {
            case UInt8(ascii: "t"): try capture(&k.t, value, "k.t")
            case UInt8(ascii: "T"): try capture(&k.T, value, "k.T")
            case UInt8(ascii: "s"): try capture(&k.s, value, "k.s")
            case UInt8(ascii: "i"): try capture(&k.i, value, "k.i")
            case UInt8(ascii: "f"): try capture(&k.f, value, "k.f")
            case UInt8(ascii: "L"): try capture(&k.L, value, "k.L")
            case UInt8(ascii: "n"): try capture(&k.n, value, "k.n")
            case UInt8(ascii: "x"): try capture(&k.x, value, "k.x")
            case UInt8(ascii: "o"): try capture(&k.o, value, "k.o")
            case UInt8(ascii: "c"): try capture(&k.c, value, "k.c")
            case UInt8(ascii: "h"): try capture(&k.h, value, "k.h")
            case UInt8(ascii: "l"): try capture(&k.l, value, "k.l")
            case UInt8(ascii: "v"): try capture(&k.v, value, "k.v")
            case UInt8(ascii: "q"): try capture(&k.q, value, "k.q")
            case UInt8(ascii: "V"): try capture(&k.V, value, "k.V")
            case UInt8(ascii: "Q"): try capture(&k.Q, value, "k.Q")
            default: break
            }
        }
    }

    // MARK: - Interpretation

    @inline(__always)
    static func payload(_ scanner: JSONScanner, _ tokens: borrowing PayloadTokens, stream: StreamContext?, market: Market?) throws(FrameReject) -> BinanceFrame {
        let event = try scanner.stringContent(tokens.e, "e")
        if scanner.equal(event, "kline") {
            if let stream, case .markPrice = stream.kind { throw FrameReject(.streamMismatch, field: "e") }
            return try kline(scanner, tokens, stream: stream, market: market)
        }
        if scanner.equal(event, "markPriceUpdate") {
            if let stream, case .kline = stream.kind { throw FrameReject(.streamMismatch, field: "e") }
            return try markPrice(scanner, tokens, stream: stream, market: market)
        }
        throw FrameReject(.unknownEvent, field: "e")
    }

    /// Whether the stream name's lower-case symbol is `symbol`.
    @inline(__always)
    static func streamSymbolMatches(_ scanner: JSONScanner, _ stream: StreamContext, _ symbol: (start: Int, end: Int)) -> Bool {
        guard stream.symbol.end - stream.symbol.start == symbol.end - symbol.start else { return false }
        for offset in 0..<(symbol.end - symbol.start) {
            let upper = scanner[symbol.start + offset]
            let lower = scanner[stream.symbol.start + offset]
            let expected = upper >= UInt8(ascii: "A") && upper <= UInt8(ascii: "Z") ? upper + 0x20 : upper
            if lower != expected { return false }
        }
        return true
    }

    @inline(__always)
    static func kline(_ scanner: JSONScanner, _ tokens: borrowing PayloadTokens, stream: StreamContext?, market: Market?) throws(FrameReject) -> BinanceFrame {
        let eventTime = try scanner.nonNegative(tokens.E, "E")
        let symbol = try scanner.symbol(tokens.s, "s")
        let kToken = try scanner.required(tokens.k, "k")
        guard scanner[kToken.start] == UInt8(ascii: "{") else { throw FrameReject(.wrongType, field: "k") }
        let k = tokens.kline
        guard scanner.equal(symbol, try scanner.symbol(k.s, "k.s")) else { throw FrameReject(.symbolMismatch, field: "k.s") }
        if let stream, !streamSymbolMatches(scanner, stream, symbol) { throw FrameReject(.symbolMismatch, field: "stream") }
        let intervalText = try scanner.stringContent(k.i, "k.i")
        guard let interval = KlineInterval.match(scanner.base + intervalText.start, intervalText.end - intervalText.start) else {
            throw FrameReject(.badInterval, field: "k.i")
        }
        if let stream, case .kline(let streamInterval) = stream.kind, streamInterval != interval {
            throw FrameReject(.streamMismatch, field: "k.i")
        }
        let openTime = try scanner.nonNegative(k.t, "k.t")
        let closeTime = try scanner.nonNegative(k.T, "k.T")
        let firstTradeID = try scanner.integer(k.f, "k.f")
        let lastTradeID = try scanner.integer(k.L, "k.L")
        let trades = try scanner.nonNegative(k.n, "k.n")
        let isClosed = try scanner.boolean(k.x, "k.x")
        let open = try scanner.decimal(k.o, "k.o", .price)
        let high = try scanner.decimal(k.h, "k.h", .price)
        let low = try scanner.decimal(k.l, "k.l", .price)
        let close = try scanner.decimal(k.c, "k.c", .price)
        let volume = try scanner.decimal(k.v, "k.v", .volume)
        let quoteVolume = try scanner.decimal(k.q, "k.q", .volume)
        let takerBuyVolume = try scanner.decimal(k.V, "k.V", .volume)
        let takerBuyQuoteVolume = try scanner.decimal(k.Q, "k.Q", .volume)
        try KlineRules.check(
            interval: interval, openTime: openTime, closeTime: closeTime, open: open.value, high: high.value,
            low: low.value, close: close.value, fields: .websocket
        )
        // Built in place in the result: a KlineUpdate is ~300 bytes, and each move is a memcpy.
        return .kline(KlineUpdate(
            market: market, symbol: scanner.text(symbol.start, symbol.end), interval: interval,
            openTime: openTime, closeTime: closeTime, eventTime: eventTime, firstTradeID: firstTradeID, lastTradeID: lastTradeID,
            open: open, high: high, low: low, close: close, volume: volume, quoteVolume: quoteVolume,
            takerBuyVolume: takerBuyVolume, takerBuyQuoteVolume: takerBuyQuoteVolume, trades: trades, isClosed: isClosed
        ))
    }

    static func markPrice(_ scanner: JSONScanner, _ tokens: borrowing PayloadTokens, stream: StreamContext?, market: Market?) throws(FrameReject) -> BinanceFrame {
        let eventTime = try scanner.nonNegative(tokens.E, "E")
        let symbol = try scanner.symbol(tokens.s, "s")
        if let stream, !streamSymbolMatches(scanner, stream, symbol) { throw FrameReject(.symbolMismatch, field: "stream") }
        return .markPrice(MarkPriceUpdate(
            market: market, symbol: scanner.text(symbol.start, symbol.end), eventTime: eventTime,
            markPrice: try scanner.decimal(tokens.p, "p", .price),
            indexPrice: try scanner.decimal(tokens.i, "i", .price),
            estimatedSettlePrice: try scanner.decimal(tokens.P, "P", .price),
            fundingRate: try scanner.decimal(tokens.r, "r", .signed),
            nextFundingTime: try scanner.nonNegative(tokens.T, "T")
        ))
    }
}
