import Core

/// One text frame from a Binance market-data WebSocket, parsed and validated.
///
/// Accepts combined-stream frames (`{"stream":"btcusdt@kline_1m","data":{…}}`), raw
/// single-stream payloads (`{"e":"kline",…}`) and replies to requests. Field order is free,
/// unknown fields are ignored (but must be valid JSON), numbers may be JSON numbers or strings.
///
/// Parsing is a single pass of a hand-written byte scanner with no Foundation and no
/// allocation beyond the result's strings; any input, however garbled, either parses or is
/// rejected with a `FrameReject` whose `reason` is a stable metrics label.
public enum BinanceFrame: Sendable, Hashable {
    case kline(KlineUpdate)
    case markPrice(MarkPriceUpdate)
    case subscriptionReply(SubscriptionReply)
    case subscriptionError(SubscriptionError)

    /// Parses one frame. `market`, when given, is stored in kline and mark-price updates.
    /// - Throws: `FrameReject` naming the reason (and usually the field) it was refused.
    public static func parse(_ bytes: UnsafeRawBufferPointer, market: Market? = nil) throws(FrameReject) -> BinanceFrame {
        guard let base = bytes.baseAddress, bytes.count > 0, bytes.count <= JSONScanner.maxCount else {
            throw FrameReject(.malformedJSON)
        }
        return try FrameParser.parse(JSONScanner(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count), market: market)
    }

    public static func parse(_ bytes: [UInt8], market: Market? = nil) throws(FrameReject) -> BinanceFrame {
        // withUnsafeBytes rethrows untyped errors, so the result crosses it as a Result.
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(FrameReject) -> BinanceFrame in try parse(buffer, market: market) }
        }.get()
    }

    public static func parse(_ text: String, market: Market? = nil) throws(FrameReject) -> BinanceFrame {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(FrameReject) -> BinanceFrame in try parse(UnsafeRawBufferPointer(buffer), market: market) }
        }.get()
    }

    /// The market of a kline or mark-price update; nil for replies.
    public var market: Market? {
        get {
            switch self {
            case .kline(let update): update.market
            case .markPrice(let update): update.market
            case .subscriptionReply, .subscriptionError: nil
            }
        }
        set {
            switch self {
            case .kline(var update):
                update.market = newValue
                self = .kline(update)
            case .markPrice(var update):
                update.market = newValue
                self = .markPrice(update)
            case .subscriptionReply, .subscriptionError:
                break
            }
        }
    }
}
