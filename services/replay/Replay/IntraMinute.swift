/// How a 1m candle looks part-way through its minute. The price walks at constant speed along
/// open → first extreme → second extreme → close (low first for a rising candle, high first for a
/// falling one), so the running high/low never pass the final ones, and arrives at the close after
/// `pricePath` ms — so the last updates of a minute already show its final OHLC, as a quiet end of
/// minute does. Volumes and trades grow in proportion to the whole minute elapsed, rounded down in
/// the series' units. At the minute's end every field equals the archive row.
enum IntraMinute {
    static let minute: Int64 = 60_000
    static let pricePath: Int64 = 57_000

    /// `row` as it stands `elapsed` milliseconds after it opened (clamped to 0...60,000).
    static func progress(_ row: Kline, elapsed: Int64) -> Kline {
        if elapsed >= minute { return row }
        let elapsed = max(elapsed, 0)
        let high = max(row.high, row.open, row.close)
        let low = min(row.low, row.open, row.close)
        let vertices = row.close >= row.open ? [row.open, low, high, row.close] : [row.open, high, low, row.close]
        var total: Int128 = 0
        for index in 1..<vertices.count { total += distance(vertices[index - 1], vertices[index]) }
        var travelled = total * Int128(min(elapsed, pricePath)) / Int128(pricePath)
        var price = row.open
        var runningHigh = row.open
        var runningLow = row.open
        for index in 1..<vertices.count {
            let from = vertices[index - 1]
            let to = vertices[index]
            let leg = distance(from, to)
            if travelled >= leg {
                price = to
                travelled -= leg
            } else {
                let step = Int64(travelled)
                price = to >= from ? from + step : from - step
                travelled = 0
            }
            runningHigh = max(runningHigh, price)
            runningLow = min(runningLow, price)
            if travelled == 0 && price != to { break }
        }
        return Kline(
            openTime: row.openTime, open: row.open, high: runningHigh, low: runningLow, close: price,
            volume: share(row.volume, elapsed), quoteVolume: share(row.quoteVolume, elapsed), trades: share(row.trades, elapsed),
            takerBuyVolume: share(row.takerBuyVolume, elapsed), takerBuyQuoteVolume: share(row.takerBuyQuoteVolume, elapsed)
        )
    }

    private static func distance(_ a: Int64, _ b: Int64) -> Int128 {
        Int128(a) > Int128(b) ? Int128(a) - Int128(b) : Int128(b) - Int128(a)
    }

    /// ⌊value × elapsed / 60,000⌋ without overflow.
    private static func share(_ value: Int64, _ elapsed: Int64) -> Int64 {
        Int64(Int128(value) * Int128(elapsed) / Int128(minute))
    }
}
