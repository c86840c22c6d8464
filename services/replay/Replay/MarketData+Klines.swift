import Core

extension MarketData {
    /// Klines as Binance's /klines answers at `now`: buckets of `interval` aligned to the epoch
    /// (1d buckets at 00:00 UTC), aggregated from 1m (open of first, close of last, max high, min
    /// low, sums of volumes/trades); every closed bucket up to `now` plus the bucket containing
    /// `now` as the open candle (its current minute partial, see `currentKline`). With startTime:
    /// the first `limit` buckets with openTime >= startTime (and <= endTime if given); with only
    /// endTime: the latest `limit` with openTime <= endTime; with neither: the latest `limit`.
    /// Buckets without any 1m row are absent, as Binance omits gaps. nil for an unknown symbol.
    public func klines(symbol: String, interval: CandleInterval, startTime: Int64?, endTime: Int64?, limit: Int, now: Int64) -> [KlineOut]? {
        guard let series = series[symbol] else { return nil }
        let rows = series.rows
        let width = interval.milliseconds
        let visibleEnd = series.firstIndex(after: now)
        guard limit > 0, visibleEnd > 0 else { return [] }
        // Nothing after the last visible row can be selected, which also keeps bucket arithmetic in range.
        let lastVisible = rows[visibleEnd - 1].openTime
        let endBucket = interval.bucketStart(max(min(endTime ?? lastVisible, lastVisible), -1))
        var result: [KlineOut] = []
        result.reserveCapacity(min(limit, 1500))
        if let startTime {
            guard startTime <= lastVisible else { return [] }
            let firstBucket = floorDiv(max(startTime, 0) + width - 1, width) * width
            var index = series.firstIndex(atOrAfter: firstBucket)
            while index < visibleEnd, result.count < limit {
                let bucket = interval.bucketStart(rows[index].openTime)
                if bucket > endBucket { break }
                let next = min(series.firstIndex(atOrAfter: bucket + width), visibleEnd)
                result.append(bucketKline(series, index..<next, bucket: bucket, width: width, now: now))
                index = next
            }
        } else {
            var end = min(series.firstIndex(atOrAfter: endBucket + width), visibleEnd)
            while end > 0, result.count < limit {
                let bucket = interval.bucketStart(rows[end - 1].openTime)
                let start = series.firstIndex(atOrAfter: bucket)
                result.append(bucketKline(series, start..<end, bucket: bucket, width: width, now: now))
                end = start
            }
            result.reverse()
        }
        return result
    }

    /// The 1m candle open at `now`, as a WebSocket update shows it (see `IntraMinute`); isClosed
    /// false. nil for an unknown symbol or when the data has no row for that minute.
    public func currentKline(symbol: String, now: Int64) -> KlineOut? {
        guard let series = series[symbol] else { return nil }
        let openTime = CandleInterval.oneMinute.bucketStart(now)
        guard let index = series.index(of: openTime) else { return nil }
        let row = IntraMinute.progress(series.rows[index], elapsed: now - openTime)
        return Self.output(Aggregate(row), openTime: openTime, width: 60_000, scales: series.scales, isClosed: false)
    }

    /// The closed 1m kline that opened at `openTime` (exact archive values, isClosed true).
    public func closedKline(symbol: String, openTime: Int64) -> KlineOut? {
        guard let series = series[symbol], let index = series.index(of: openTime) else { return nil }
        return Self.output(Aggregate(series.rows[index]), openTime: openTime, width: 60_000, scales: series.scales, isClosed: true)
    }

    /// Aggregates `range` (the visible rows of one bucket); the minute containing `now` counts partially.
    private func bucketKline(_ series: MarketSeries, _ range: Range<Int>, bucket: Int64, width: Int64, now: Int64) -> KlineOut {
        let aggregate = Self.aggregate(series.rows, range, now: now)
        return Self.output(aggregate, openTime: bucket, width: width, scales: series.scales, isClosed: now >= bucket + width)
    }

    /// Sums `rows[range]` (non-empty, sorted); a row still open at `now` contributes its partial state.
    static func aggregate(_ rows: [Kline], _ range: Range<Int>, now: Int64) -> Aggregate {
        var total = Aggregate(partial(rows[range.lowerBound], now: now))
        for index in range.dropFirst() { total.add(partial(rows[index], now: now)) }
        return total
    }

    static func partial(_ row: Kline, now: Int64) -> Kline {
        now - row.openTime < 60_000 ? IntraMinute.progress(row, elapsed: now - row.openTime) : row
    }

    static func output(_ value: Aggregate, openTime: Int64, width: Int64, scales: KlineScales, isClosed: Bool) -> KlineOut {
        KlineOut(
            openTime: openTime, closeTime: openTime + width - 1,
            open: decimalText(value.open, scale: scales.price), high: decimalText(value.high, scale: scales.price),
            low: decimalText(value.low, scale: scales.price), close: decimalText(value.close, scale: scales.price),
            volume: decimalText(value.volume, scale: scales.volume), quoteVolume: decimalText(value.quoteVolume, scale: scales.quote),
            trades: Int64(clamping: value.trades),
            takerBuyVolume: decimalText(value.takerBuyVolume, scale: scales.volume),
            takerBuyQuoteVolume: decimalText(value.takerBuyQuoteVolume, scale: scales.quote),
            isClosed: isClosed
        )
    }
}

/// Exact OHLCV of consecutive 1m rows; sums in 128 bits so a day of large quote volumes cannot overflow.
struct Aggregate {
    var open: Int128
    var high: Int128
    var low: Int128
    var close: Int128
    var volume: Int128
    var quoteVolume: Int128
    var trades: Int128
    var takerBuyVolume: Int128
    var takerBuyQuoteVolume: Int128

    init(_ row: Kline) {
        open = Int128(row.open)
        high = Int128(row.high)
        low = Int128(row.low)
        close = Int128(row.close)
        volume = Int128(row.volume)
        quoteVolume = Int128(row.quoteVolume)
        trades = Int128(row.trades)
        takerBuyVolume = Int128(row.takerBuyVolume)
        takerBuyQuoteVolume = Int128(row.takerBuyQuoteVolume)
    }

    mutating func add(_ row: Kline) {
        high = max(high, Int128(row.high))
        low = min(low, Int128(row.low))
        close = Int128(row.close)
        volume += Int128(row.volume)
        quoteVolume += Int128(row.quoteVolume)
        trades += Int128(row.trades)
        takerBuyVolume += Int128(row.takerBuyVolume)
        takerBuyQuoteVolume += Int128(row.takerBuyQuoteVolume)
    }
}

/// `units × 10^-scale` with exactly `scale` decimals, as Binance prints decimals. Writes the
/// digits straight into a buffer: a /klines answer formats thousands of these.
func decimalText(_ units: Int128, scale: Int) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
        // 128-bit division is slow; almost every value fits in 64 bits, so switch as soon as it does.
        var wide = units.magnitude
        var narrow = UInt64(exactly: wide) ?? 0
        var isNarrow = UInt64(exactly: wide) != nil
        var position = buffer.count
        var written = 0
        repeat {
            let digit: UInt8
            if isNarrow {
                digit = UInt8(truncatingIfNeeded: narrow % 10)
                narrow /= 10
            } else {
                digit = UInt8(truncatingIfNeeded: wide % 10)
                wide /= 10
                if let fits = UInt64(exactly: wide) {
                    narrow = fits
                    isNarrow = true
                }
            }
            position -= 1
            buffer[position] = digit &+ 0x30
            written += 1
            if written == scale {
                position -= 1
                buffer[position] = 0x2E
            }
        } while (isNarrow ? narrow > 0 : wide > 0) || written <= scale
        if units < 0 {
            position -= 1
            buffer[position] = 0x2D
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[position...]), as: UTF8.self)
    }
}
