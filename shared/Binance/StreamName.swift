/// A Binance market stream this module understands: `<symbol>@kline_<interval>` (spot and
/// futures) and `<symbol>@markPrice[@1s]` (futures). On the wire the symbol is lower-case;
/// `symbol` holds the upper-case exchange symbol.
public struct StreamName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case kline(KlineInterval)
        /// `@markPrice@1s` when `everySecond`, else `@markPrice` (every 3 s).
        case markPrice(everySecond: Bool)
    }

    /// Upper-case symbol, e.g. `BTCUSDT`.
    public let symbol: String
    public let kind: Kind
    /// The wire name, e.g. `btcusdt@kline_1m`.
    public let description: String

    /// A stream of `symbol` (any case); nil when the symbol is empty, longer than 32 bytes or
    /// has characters other than letters, digits, `_` and non-ASCII text.
    public init?(symbol: String, kind: Kind) {
        var upper = Array(symbol.utf8)
        guard (1...32).contains(upper.count) else { return nil }
        for index in upper.indices {
            let byte = upper[index]
            if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { upper[index] = byte - 0x20 }
            guard Self.isSymbolByte(upper[index], upperCase: true) else { return nil }
        }
        self.symbol = String(decoding: upper, as: UTF8.self)
        self.kind = kind
        let lower = String(decoding: upper.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 0x20 : $0 }, as: UTF8.self)
        switch kind {
        case .kline(let interval): description = lower + "@kline_" + interval.rawValue
        case .markPrice(let everySecond): description = lower + (everySecond ? "@markPrice@1s" : "@markPrice")
        }
    }

    /// `<symbol>@kline_<interval>`, e.g. `kline("BTCUSDT")` is `btcusdt@kline_1m`.
    public static func kline(_ symbol: String, interval: KlineInterval = .oneMinute) -> StreamName? {
        StreamName(symbol: symbol, kind: .kline(interval))
    }

    /// `<symbol>@markPrice@1s` (or `@markPrice`, every 3 s, when not `everySecond`).
    public static func markPrice(_ symbol: String, everySecond: Bool = true) -> StreamName? {
        StreamName(symbol: symbol, kind: .markPrice(everySecond: everySecond))
    }

    /// Parses a wire name such as `btcusdt@kline_1m`; nil for other stream types, upper-case
    /// or invalid symbols and unknown intervals.
    public init?(_ text: some StringProtocol) {
        var copy = String(text)
        guard let parsed = copy.withUTF8({ buffer -> (symbolLength: Int, kind: Kind)? in
            guard let base = buffer.baseAddress else { return nil }
            return Self.scan(base, buffer.count)
        }) else { return nil }
        let symbolBytes = copy.utf8.prefix(parsed.symbolLength).map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 0x20 : $0 }
        symbol = String(decoding: symbolBytes, as: UTF8.self)
        kind = parsed.kind
        description = copy
    }

    public static func < (lhs: StreamName, rhs: StreamName) -> Bool { lhs.description < rhs.description }

    /// Splits a wire name into its symbol's length and its kind without allocating.
    static func scan(_ base: UnsafePointer<UInt8>, _ count: Int) -> (symbolLength: Int, kind: Kind)? {
        var at = 0
        while at < count && base[at] != UInt8(ascii: "@") {
            guard isSymbolByte(base[at], upperCase: false) else { return nil }
            at += 1
        }
        guard at >= 1, at <= 32, at < count else { return nil }
        let suffix = base + at + 1
        let suffixCount = count - at - 1
        func suffixIs(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == suffixCount else { return false }
            for offset in 0..<suffixCount where suffix[offset] != word.utf8Start[offset] { return false }
            return true
        }
        if suffixCount > 6 && suffix[0] == UInt8(ascii: "k") && suffix[5] == UInt8(ascii: "_") && suffixIs6(suffix, "kline_") {
            guard let interval = KlineInterval.match(suffix + 6, suffixCount - 6) else { return nil }
            return (at, .kline(interval))
        }
        if suffixIs("markPrice@1s") { return (at, .markPrice(everySecond: true)) }
        if suffixIs("markPrice") { return (at, .markPrice(everySecond: false)) }
        return nil
    }

    @inline(__always) private static func suffixIs6(_ suffix: UnsafePointer<UInt8>, _ word: StaticString) -> Bool {
        for offset in 0..<6 where suffix[offset] != word.utf8Start[offset] { return false }
        return true
    }

    /// Letters of the given case, digits, `_`, and any non-ASCII byte (symbols in Chinese).
    @inline(__always) static func isSymbolByte(_ byte: UInt8, upperCase: Bool) -> Bool {
        if byte >= 0x80 || JSONScanner.isDigit(byte) || byte == UInt8(ascii: "_") { return true }
        return upperCase
            ? byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            : byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
    }
}
