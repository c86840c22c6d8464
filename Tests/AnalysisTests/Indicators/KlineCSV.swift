import Core
import Foundation

/// Reads data.binance.vision kline CSVs (a header row, then 12 columns) into candles. Tests only.
enum KlineCSV {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The first `limit` klines of a file's `text`.
    static func parse(_ text: String, symbol: String, limit: Int = .max) throws -> [Candle] {
        var candles: [Candle] = []
        var sawHeader = false
        // Split off only the lines needed: the fixtures are whole months.
        let lines = text.split(separator: "\n", maxSplits: limit == .max ? .max : limit + 1, omittingEmptySubsequences: true)
        for line in lines {
            if candles.count == limit { break }
            if !sawHeader {
                sawHeader = true
                if line.hasPrefix("open_time") { continue }
            }
            candles.append(try candle(line, symbol: symbol))
        }
        return candles
    }

    private static func candle(_ line: Substring, symbol: String) throws -> Candle {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        guard cells.count >= 11 else { throw Failure(description: "kline row with \(cells.count) columns: \(line)") }
        func int(_ i: Int) throws -> Int64 {
            guard let value = Int64(cells[i].trimmingCharacters(in: .whitespaces)) else {
                throw Failure(description: "bad integer in column \(i): \(line)")
            }
            return value
        }
        func double(_ i: Int) throws -> Double {
            guard let value = Double(cells[i].trimmingCharacters(in: .whitespaces)) else {
                throw Failure(description: "bad number in column \(i): \(line)")
            }
            return value
        }
        return Candle(
            market: .futures, symbol: symbol, interval: .oneMinute,
            openTime: try int(0), closeTime: try int(6),
            open: try double(1), high: try double(2), low: try double(3), close: try double(4),
            volume: try double(5), quoteVolume: try double(7), trades: try int(8),
            takerBuyVolume: try double(9), takerBuyQuoteVolume: try double(10)
        )
    }
}
