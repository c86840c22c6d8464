import Core

extension CandleStore {
    /// Streams the candles with open times in [from, to) to `sink` as a data.binance.vision
    /// kline CSV: the header row (unless `header` is false), then one line per candle — 12
    /// columns, times in milliseconds, decimals exactly as stored, `0` in `ignore`, each line
    /// ending in `\n`. A range of 1m candles imported from an archive prints back byte for byte.
    ///
    /// Reads `pageSize` rows per query (keyset paging on open time), so a long range never sits
    /// in memory at once; `sink` gets one chunk per page (the header arrives with the first).
    /// - Returns: the number of candles written.
    /// - Throws: `PostgresError` when a page cannot be read; what was already passed to `sink` stays.
    @discardableResult
    public func export(
        market: Market, symbol: String, interval: CandleInterval = .oneMinute, from: Int64, to: Int64,
        header: Bool = true, pageSize: Int = 10_000, into sink: (String) -> Void
    ) async throws -> Int {
        precondition(pageSize > 0, "pageSize must be positive")
        var cursor = from
        var written = 0
        var pending = header ? KlineCSV.header + "\n" : ""
        while cursor < to {
            let page = try await candles(market: market, symbol: symbol, interval: interval, from: cursor, to: to, limit: pageSize)
            for row in page {
                pending += row.csvRow
                pending += "\n"
            }
            written += page.count
            if !pending.isEmpty { sink(pending) }
            pending = ""
            guard page.count == pageSize, let last = page.last else { break }
            cursor = last.openTime + 1
        }
        if !pending.isEmpty { sink(pending) }
        return written
    }
}
