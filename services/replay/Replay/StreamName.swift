/// A Binance market stream the replay server serves: `<symbol>@kline_1m` (spot and futures) or
/// `<symbol>@markPrice@1s` (futures only). Symbols in stream names are lower-case, as Binance
/// requires; `symbol` holds the upper-case exchange symbol.
public struct StreamName: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// `@kline_1m`: kline updates during the minute and a final `x=true` frame at its close.
        case kline1m
        /// `@markPrice@1s`: futures mark price, funding rate and next funding time every second.
        case markPrice1s
    }

    /// Upper-case symbol, e.g. "BTCUSDT".
    public let symbol: String
    public let kind: Kind
    /// The name exactly as clients write it, e.g. "btcusdt@kline_1m".
    public let description: String

    /// Parses a stream name; nil for anything this market does not serve (unknown stream types,
    /// upper-case or empty symbols, characters Binance never uses in symbols).
    public init?(_ text: some StringProtocol, market: ReplayMarket) {
        guard let at = text.firstIndex(of: "@") else { return nil }
        let symbolPart = text[text.startIndex..<at]
        let suffix = text[text.index(after: at)...]
        guard (1...32).contains(symbolPart.utf8.count),
            symbolPart.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F })
        else { return nil }
        switch suffix {
        case "kline_1m":
            kind = .kline1m
        case "markPrice@1s" where market == .futures:
            kind = .markPrice1s
        default:
            return nil
        }
        symbol = symbolPart.uppercased()
        description = String(text)
    }
}
