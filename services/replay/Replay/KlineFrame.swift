/// Text of the frames the replay server sends, built by appending to one string: no dictionaries,
/// no JSONSerialization on the per-frame path. Field order and spelling follow Binance's frames
/// (see Tests/Fixtures/binance/frames).
enum KlineFrame {
    /// A `kline` event: every `k` field Binance sends, `x` true for the closed candle.
    static func kline(_ kline: KlineOut, stream: StreamName, eventTime: Int64, combined: Bool) -> String {
        var text = ""
        text.reserveCapacity(420)
        if combined { openCombined(&text, stream) }
        let (first, last) = tradeIDs(kline)
        text += #"{"e":"kline","E":"#
        text += String(eventTime)
        text += #","s":""#
        text += stream.symbol
        text += #"","k":{"t":"#
        text += String(kline.openTime)
        text += #","T":"#
        text += String(kline.closeTime)
        text += #","s":""#
        text += stream.symbol
        text += #"","i":"1m","f":"#
        text += String(first)
        text += #","L":"#
        text += String(last)
        text += #","o":""#
        text += kline.open
        text += #"","c":""#
        text += kline.close
        text += #"","h":""#
        text += kline.high
        text += #"","l":""#
        text += kline.low
        text += #"","v":""#
        text += kline.volume
        text += #"","n":"#
        text += String(kline.trades)
        text += kline.isClosed ? #","x":true,"q":""# : #","x":false,"q":""#
        text += kline.quoteVolume
        text += #"","V":""#
        text += kline.takerBuyVolume
        text += #"","Q":""#
        text += kline.takerBuyQuoteVolume
        text += #"","B":"0"}}"#
        if combined { text += "}" }
        return text
    }

    /// A futures `markPriceUpdate` event.
    static func markPrice(_ index: PremiumIndex, stream: StreamName, eventTime: Int64, combined: Bool) -> String {
        var text = ""
        text.reserveCapacity(260)
        if combined { openCombined(&text, stream) }
        text += #"{"e":"markPriceUpdate","E":"#
        text += String(eventTime)
        text += #","s":""#
        text += stream.symbol
        text += #"","p":""#
        text += index.markPrice
        text += #"","i":""#
        text += index.indexPrice
        text += #"","P":""#
        text += index.estimatedSettlePrice
        text += #"","r":""#
        text += index.lastFundingRate
        text += #"","T":"#
        text += String(index.nextFundingTime)
        text += "}"
        if combined { text += "}" }
        return text
    }

    /// The first half of a frame: text that no JSON parser accepts (the malformed-frame fault).
    static func malformed(_ frame: String) -> String {
        let bytes = Array(frame.utf8)
        return String(decoding: bytes.prefix(max(1, bytes.count / 2)), as: UTF8.self)
    }

    /// First and last trade ID of the candle. The archives carry no trade IDs, so they are derived
    /// from the minute: increasing from minute to minute, `L - f + 1 == n`, and -1/-1 for a
    /// minute without trades, as Binance shows it.
    static func tradeIDs(_ kline: KlineOut) -> (first: Int64, last: Int64) {
        guard kline.trades > 0 else { return (-1, -1) }
        let first = (kline.openTime / 60_000) * 10_000_000
        return (first, first + kline.trades - 1)
    }

    private static func openCombined(_ text: inout String, _ stream: StreamName) {
        text += #"{"stream":""#
        text += stream.description
        text += #"","data":"#
    }
}
