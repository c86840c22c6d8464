import Foundation
@testable import Gateway
import Testing

/// The gateway's fast JSON paths write exactly what Foundation's encoder with
/// `.convertToSnakeCase` and sorted keys writes.
@Suite struct JSONResponseTests {
    static var foundation: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    @Test func theRememberedKeyConversionIsFoundations() throws {
        for name in ["quoteVolume24h", "lastFrameAgeMs", "expectancyR", "maxDrawdownR", "p50", "streamId", "byAgreeingHeads",
                     "quote_volume_24h", "ttlMs", "medianMinutesToOutcome", "already_snake", "x"] {
            struct One: Encodable {
                let name: String
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: JSONResponse.SnakeKey.self)
                    try container.encode(1, forKey: JSONResponse.SnakeKey(stringValue: name))
                }
            }
            let ours = String(decoding: try JSONResponse.encoder.encode(One(name: name)), as: UTF8.self)
            let theirs = String(decoding: try Self.foundation.encode(One(name: name)), as: UTF8.self)
            #expect(ours == theirs, "\(name)")
        }
    }

    @Test func theHandWrittenCandlePageIsTheEncodersByteForByte() throws {
        let candle = APIRoutes.CandleItem(
            openTime: 1_767_225_600_000, closeTime: 1_767_225_659_999, open: "97000.10", high: "97010.5", low: "96990.25",
            close: "97001.75", volume: "12.345", quoteVolume: "1197654.321", trades: 420, takerBuyVolume: "6.5",
            takerBuyQuoteVolume: "630000.125", source: "ws")
        var odd = candle
        odd.source = "we\"ird\\\n\u{1}"
        for page in [
            APIRoutes.CandlePage(market: "futures", symbol: "BTCUSDT", interval: "1m", candles: [candle, odd], nextFrom: 1_767_225_660_000),
            APIRoutes.CandlePage(market: "spot", symbol: "ETHUSDT", interval: "1h", candles: [], nextFrom: nil),
        ] {
            let expected = String(decoding: try Self.foundation.encode(page), as: UTF8.self)
            #expect(page.json == expected)
        }
    }
}
