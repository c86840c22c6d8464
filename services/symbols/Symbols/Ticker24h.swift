import Core

/// One entry of Binance's 24 h ticker list (`/api/v3/ticker/24hr`, `/fapi/v1/ticker/24hr`).
///
/// Decimals stay as Binance printed them, so PostgreSQL stores them exactly; `quoteVolume`
/// is also parsed to rank by. Decoding fails on a decimal that is not one, or a negative or
/// non-finite quote volume: a ticker list with such a value is not trusted.
public struct Ticker24h: Sendable, Hashable, Decodable {
    public var symbol: String
    /// Traded value over 24 h in the quote asset (USDT), as text.
    public var quoteVolume: String
    public var lastPrice: String
    public var priceChangePercent: String
    /// `quoteVolume` as a number, for ranking.
    public var quoteVolumeValue: Double

    public init(symbol: String, quoteVolume: String, lastPrice: String, priceChangePercent: String) {
        self.symbol = symbol
        self.quoteVolume = quoteVolume
        self.lastPrice = lastPrice
        self.priceChangePercent = priceChangePercent
        self.quoteVolumeValue = Double(quoteVolume) ?? .nan
    }

    enum CodingKeys: String, CodingKey {
        case symbol, quoteVolume, lastPrice, priceChangePercent
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try container.decode(String.self, forKey: .symbol)
        quoteVolume = try Self.decimal(container, .quoteVolume)
        lastPrice = try Self.decimal(container, .lastPrice)
        priceChangePercent = try Self.decimal(container, .priceChangePercent)
        quoteVolumeValue = Double(quoteVolume)!
        guard quoteVolumeValue.isFinite, quoteVolumeValue >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .quoteVolume, in: container, debugDescription: "quoteVolume \(quoteVolume) of \(symbol) is not a volume")
        }
    }

    /// A decimal as text (`DecimalText`): what PostgreSQL's numeric accepts.
    private static func decimal(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String {
        let text = try container.decode(String.self, forKey: key)
        guard DecimalText.isValid(text), Double(text)?.isFinite == true else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue) is not a decimal: \(text.prefix(40))")
        }
        return text
    }
}
