import Core

/// Reads data.binance.vision kline CSV into `CandleRow`s, keeping every price and volume as the
/// exact text of the file (Core's `KlineCSV.parse` gives Doubles).
///
/// Accepts what Binance's archives contain: with or without the header row, millisecond or
/// (newer spot archives) microsecond timestamps, 12 columns or 11 (no `ignore`), CRLF line
/// ends, a UTF-8 byte-order mark. Blank lines are skipped.
public enum ArchiveCSV {
    /// Parses a whole file.
    /// - Throws: `CandleStoreError` `.malformedRow` naming the first bad line (column count, a
    ///   time or count that is not an integer, a price or volume that is not a plain decimal,
    ///   a close time not after the open time).
    public static func parse(
        _ bytes: [UInt8], market: Market, symbol: String, interval: CandleInterval = .oneMinute, source: CandleSource = .import
    ) throws(CandleStoreError) -> [CandleRow] {
        var rows: [CandleRow] = []
        rows.reserveCapacity(bytes.count / 90)
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

    private static func row(
        _ line: ArraySlice<UInt8>, number: Int, market: Market, symbol: String, interval: CandleInterval, source: CandleSource
    ) throws(CandleStoreError) -> CandleRow {
        let cells = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard cells.count == 12 || cells.count == 11 else {
            throw CandleStoreError(.malformedRow, "\(cells.count) columns, expected 12", lineNumber: number)
        }
        func integer(_ index: Int, _ name: String) throws(CandleStoreError) -> Int64 {
            guard let value = Int64(String(decoding: cells[index], as: UTF8.self)) else {
                throw CandleStoreError(.malformedRow, "\(name) is not an integer: \(String(decoding: cells[index].prefix(30), as: UTF8.self))", lineNumber: number)
            }
            return value
        }
        func decimal(_ index: Int, _ name: String) throws(CandleStoreError) -> String {
            let text = String(decoding: cells[index], as: UTF8.self)
            guard DecimalText.isValid(text) else {
                throw CandleStoreError(.malformedRow, "\(name) is not a decimal number: \(text.prefix(30))", lineNumber: number)
            }
            return text
        }
        var openTime = try integer(0, "open_time")
        var closeTime = try integer(6, "close_time")
        // 16-digit timestamps are microseconds.
        if openTime >= 100_000_000_000_000 { openTime /= 1000 }
        if closeTime >= 100_000_000_000_000 { closeTime /= 1000 }
        guard closeTime > openTime else {
            throw CandleStoreError(.malformedRow, "close_time is not after open_time", lineNumber: number)
        }
        return CandleRow(
            market: market, symbol: symbol, interval: interval, openTime: openTime, closeTime: closeTime,
            open: try decimal(1, "open"), high: try decimal(2, "high"), low: try decimal(3, "low"), close: try decimal(4, "close"),
            volume: try decimal(5, "volume"), quoteVolume: try decimal(7, "quote_volume"), trades: try integer(8, "count"),
            takerBuyVolume: try decimal(9, "taker_buy_volume"), takerBuyQuoteVolume: try decimal(10, "taker_buy_quote_volume"),
            source: source)
    }
}
