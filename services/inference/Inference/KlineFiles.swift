import Archive
import ArgumentParser
import Core
import Foundation

/// Reads the kline files given on the command line.
enum KlineFiles {
    /// 1m candles from data.binance.vision kline files (`.csv`, or the `.zip` Binance serves),
    /// grouped by symbol, each series sorted by open time without repeats. The symbol comes from
    /// each file's name (`LINKUSDT-1m-2026-02.csv` or `.zip`) unless `symbol` is given.
    /// - Throws: `ValidationError` naming the file for unreadable files, unparsable rows, names
    ///   without a symbol, or files of another interval.
    static func load(_ paths: [String], market: Market, symbol: String? = nil) throws -> [String: [Candle]] {
        var bySymbol: [String: [Candle]] = [:]
        for path in paths {
            let parts = KlineCSV.nameParts(path)
            guard let name = symbol ?? parts?.symbol else {
                throw ValidationError("\(path): cannot tell the symbol from the file name (SYMBOL-1m-….csv or .zip); pass --symbol")
            }
            if let interval = parts?.interval, interval != .oneMinute {
                throw ValidationError("\(path): holds \(interval.rawValue) klines; give 1m files (higher timeframes are derived)")
            }
            let text = try self.text(path)
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

    /// The CSV text of a kline file: a `.csv` as it is, a `.zip` through its only `.csv` entry.
    /// - Throws: `ValidationError` naming the file when it cannot be read or the zip is unusable.
    static func text(_ path: String) throws -> String {
        do {
            return String(decoding: try ZipArchive.csvBytes(atPath: path), as: UTF8.self)
        } catch {
            throw ValidationError("\(path): cannot be read (\(error))")
        }
    }

    static func iso(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }
}

