import ArgumentParser
import Core
import Foundation

/// Reads the kline files given on the command line.
enum KlineFiles {
    /// 1m candles from data.binance.vision CSV files, grouped by symbol, each series sorted by
    /// open time without repeats. The symbol comes from each file's name
    /// (`LINKUSDT-1m-2026-02.csv`) unless `symbol` is given.
    /// - Throws: `ValidationError` naming the file for unreadable files, unparsable rows, names
    ///   without a symbol, or files of another interval.
    static func load(_ paths: [String], market: Market, symbol: String? = nil) throws -> [String: [Candle]] {
        var bySymbol: [String: [Candle]] = [:]
        for path in paths {
            let parts = KlineCSV.nameParts(path)
            guard let name = symbol ?? parts?.symbol else {
                throw ValidationError("\(path): cannot tell the symbol from the file name (SYMBOL-1m-….csv); pass --symbol")
            }
            if let interval = parts?.interval, interval != .oneMinute {
                throw ValidationError("\(path): holds \(interval.rawValue) klines; give 1m files (higher timeframes are derived)")
            }
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("\(path): cannot be read (\(error.localizedDescription))")
            }
            do {
                bySymbol[name, default: []] += try KlineCSV.parse(text, market: market, symbol: name, interval: .oneMinute)
            } catch {
                throw ValidationError("\(path): \(error)")
            }
        }
        for (name, candles) in bySymbol {
            var seen = Set<Int64>()
            bySymbol[name] = candles.sorted { $0.openTime < $1.openTime }.filter { seen.insert($0.openTime).inserted }
        }
        return bySymbol
    }

    static func iso(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }
}

