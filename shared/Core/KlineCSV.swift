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

    /// Reads a whole file into stored rows, every price and volume kept as the exact text of
    /// the file: the one CSV reader of the suite. `parse` gives analysis candles from the same rows.
    /// - Throws: `ParseError` naming the first bad line: a column count other than 12 (or 11,
    ///   without `ignore`), a time or count that is not an integer, a price or volume that is not
    ///   a plain decimal (`DecimalText`), a close time not after the open time.
    public static func rows(
        _ bytes: [UInt8], market: Market, symbol: String, interval: CandleInterval = .oneMinute, source: CandleSource = .import
    ) throws(ParseError) -> [CandleRow] {
        var rows: [CandleRow] = []
        rows.reserveCapacity(bytes.count / 90)
        // A UTF-8 byte-order mark, as some tools write.
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var number = 0
        while start < bytes.count {
            number += 1
            var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let next = end + 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            defer { start = next }
            guard end > start else { continue }
            // The header row: a first line that does not start with a digit.
            if number == 1, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[start]) { continue }
            rows.append(try row(bytes[start..<end], number: number, market: market, symbol: symbol, interval: interval, source: source))
        }
        return rows
    }

    /// Reads a whole file's text into analysis candles (Doubles, converted once from the rows
    /// `rows` reads).
    /// - Throws: `ParseError` as `rows` does.
    public static func parse(_ text: String, market: Market, symbol: String, interval: CandleInterval) throws(ParseError) -> [Candle] {
        let rows = try rows(Array(text.utf8), market: market, symbol: symbol, interval: interval)
        var candles: [Candle] = []
        candles.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard let candle = Candle(row) else {
                throw ParseError(line: index + 1, message: "a price or volume does not fit a Double")
            }
            candles.append(candle)
        }
        return candles
    }

    private static func row(
        _ line: ArraySlice<UInt8>, number: Int, market: Market, symbol: String, interval: CandleInterval, source: CandleSource
    ) throws(ParseError) -> CandleRow {
        let cells = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard cells.count == 12 || cells.count == 11 else {
            throw ParseError(line: number, message: "\(cells.count) columns, expected 12")
        }
        func integer(_ index: Int, _ name: String) throws(ParseError) -> Int64 {
            guard let value = Int64(String(decoding: cells[index], as: UTF8.self)) else {
                throw ParseError(line: number, message: "\(name) is not an integer: \(String(decoding: cells[index].prefix(30), as: UTF8.self))")
            }
            return value
        }
        func decimal(_ index: Int, _ name: String) throws(ParseError) -> String {
            let text = String(decoding: cells[index], as: UTF8.self)
            guard DecimalText.isValid(text) else {
                throw ParseError(line: number, message: "\(name) is not a decimal number: \(text.prefix(30))")
            }
            return text
        }
        var openTime = try integer(0, "open_time")
        var closeTime = try integer(6, "close_time")
        // 16-digit timestamps are microseconds.
        if openTime >= 100_000_000_000_000 { openTime /= 1000 }
        if closeTime >= 100_000_000_000_000 { closeTime /= 1000 }
        guard closeTime > openTime else { throw ParseError(line: number, message: "close_time is not after open_time") }
        return CandleRow(
            market: market, symbol: symbol, interval: interval, openTime: openTime, closeTime: closeTime,
            open: try decimal(1, "open"), high: try decimal(2, "high"), low: try decimal(3, "low"), close: try decimal(4, "close"),
            volume: try decimal(5, "volume"), quoteVolume: try decimal(7, "quote_volume"), trades: try integer(8, "count"),
            takerBuyVolume: try decimal(9, "taker_buy_volume"), takerBuyQuoteVolume: try decimal(10, "taker_buy_quote_volume"),
            source: source)
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
