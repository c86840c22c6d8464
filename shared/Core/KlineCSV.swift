/// The data.binance.vision kline CSV format: 12 columns
/// `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore`,
/// times in Unix milliseconds.
///
/// Reading accepts what Binance's archives actually contain: with or without the header row,
/// millisecond or (newer spot archives) microsecond timestamps, CRLF line ends, a UTF-8 BOM.
public enum KlineCSV {
    public static let header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"

    /// A line that is not a kline row.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// 1-based line number.
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses a whole file's text.
    /// - Throws: `ParseError` naming the first bad line (wrong column count, a value that is not
    ///   a number, a close time before the open time).
    public static func parse(_ text: String, market: Market, symbol: String, interval: CandleInterval) throws -> [Candle] {
        var candles: [Candle] = []
        var bytes = Array(text.utf8)
        // A UTF-8 byte-order mark, as some tools write.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var number = 0
        for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { continue }
            if number == 1, let first = line.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) { continue }  // the header row
            candles.append(try row(Substring(decoding: line, as: UTF8.self), number: number, market: market, symbol: symbol, interval: interval))
        }
        return candles
    }

    private static func row(_ line: Substring, number: Int, market: Market, symbol: String, interval: CandleInterval) throws -> Candle {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        guard cells.count == 12 || cells.count == 11 else {
            throw ParseError(line: number, message: "\(cells.count) columns, expected 12")
        }
        func integer(_ index: Int, _ name: String) throws -> Int64 {
            guard let value = Int64(cells[index]) else { throw ParseError(line: number, message: "\(name) is not an integer: \(cells[index].prefix(30))") }
            return value
        }
        func decimal(_ index: Int, _ name: String) throws -> Double {
            guard let value = Double(cells[index]), value.isFinite else {
                throw ParseError(line: number, message: "\(name) is not a number: \(cells[index].prefix(30))")
            }
            return value
        }
        var openTime = try integer(0, "open_time")
        var closeTime = try integer(6, "close_time")
        // 16-digit timestamps are microseconds.
        if openTime >= 100_000_000_000_000 { openTime /= 1000 }
        if closeTime >= 100_000_000_000_000 { closeTime /= 1000 }
        guard closeTime >= openTime else { throw ParseError(line: number, message: "close_time before open_time") }
        return Candle(
            market: market, symbol: symbol, interval: interval, openTime: openTime, closeTime: closeTime,
            open: try decimal(1, "open"), high: try decimal(2, "high"), low: try decimal(3, "low"), close: try decimal(4, "close"),
            volume: try decimal(5, "volume"), quoteVolume: try decimal(7, "quote_volume"), trades: try integer(8, "count"),
            takerBuyVolume: try decimal(9, "taker_buy_volume"), takerBuyQuoteVolume: try decimal(10, "taker_buy_quote_volume"))
    }

    /// One data row in the archive format (no line end): times in Unix milliseconds, decimals
    /// written exactly as given, so text read from an archive (or stored as `numeric::text`)
    /// prints back byte for byte. Binance always writes `0` in the `ignore` column.
    public static func row(
        openTime: Int64, open: String, high: String, low: String, close: String, volume: String,
        closeTime: Int64, quoteVolume: String, trades: Int64, takerBuyVolume: String, takerBuyQuoteVolume: String,
        ignore: String = "0"
    ) -> String {
        var line = String(openTime)
        line.reserveCapacity(128)
        for field in [open, high, low, close, volume] { line += ","; line += field }
        line += ","; line += String(closeTime)
        line += ","; line += quoteVolume
        line += ","; line += String(trades)
        for field in [takerBuyVolume, takerBuyQuoteVolume, ignore] { line += ","; line += field }
        return line
    }

    /// A whole file: the header row (unless `header` is false), then `rows` (each as made by
    /// `row(...)`), every line ending in `\n` as in data.binance.vision's archives.
    public static func write(_ rows: some Sequence<String>, header: Bool = true) -> String {
        var text = header ? Self.header + "\n" : ""
        for row in rows { text += row; text += "\n" }
        return text
    }

    /// Symbol and interval from an archive file name such as `BTCUSDT-1m-2026-02.csv` or
    /// `BTCUSDT-1h-2026-02-03.zip` (a path is fine); nil when the name does not follow it.
    public static func nameParts(_ path: String) -> (symbol: String, interval: CandleInterval)? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let parts = name.split(separator: "-")
        guard parts.count >= 3, let interval = CandleInterval(rawValue: String(parts[1])),
              parts[0].allSatisfy({ $0.isUppercase || $0.isNumber }), !parts[0].isEmpty
        else { return nil }
        return (String(parts[0]), interval)
    }
}
