import Core
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Replay

/// A symbol's archive rows as the test reads them itself: integer units at decimals it works out
/// on its own, to check MarketData against an independent computation.
struct IndependentSeries {
    struct Row {
        var openTime: Int64
        var open, high, low, close, volume, quoteVolume, trades, takerBuyVolume, takerBuyQuoteVolume: Int64
    }

    var rows: [Row]
    var price = 0, volume = 0, quote = 0

    init(_ symbol: String) throws {
        let lines = try ArchiveFixture.lines(symbol)
        func decimals(_ columns: [Int]) -> Int {
            lines.map { fields in columns.map { fields[$0].split(separator: ".").dropFirst().first?.count ?? 0 }.max() ?? 0 }.max() ?? 0
        }
        price = decimals([1, 2, 3, 4])
        volume = decimals([5, 9])
        quote = decimals([7, 10])
        let (p, v, q) = (price, volume, quote)
        rows = lines.map { f in
            Row(openTime: Int64(f[0]) ?? -1, open: fixtureUnits(f[1], p), high: fixtureUnits(f[2], p), low: fixtureUnits(f[3], p), close: fixtureUnits(f[4], p),
                volume: fixtureUnits(f[5], v), quoteVolume: fixtureUnits(f[7], q), trades: Int64(f[8]) ?? -1, takerBuyVolume: fixtureUnits(f[9], v),
                takerBuyQuoteVolume: fixtureUnits(f[10], q))
        }
    }

    func row(at openTime: Int64) -> Row? { rows.first { $0.openTime == openTime } }

    private static let cache = Mutex<[String: IndependentSeries]>([:])

    /// The series of `symbol`, parsed once per test run.
    static func of(_ symbol: String) throws -> IndependentSeries {
        if let cached = cache.withLock({ $0[symbol] }) { return cached }
        let series = try IndependentSeries(symbol)
        cache.withLock { $0[symbol] = series }
        return series
    }
}

/// "12.5" at scale 3 → 12500.
func fixtureUnits(_ text: some StringProtocol, _ scale: Int) -> Int64 {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let fraction = parts.count > 1 ? String(parts[1]) : ""
    return Int64(String(parts[0]) + fraction + String(repeating: "0", count: scale - fraction.count)) ?? Int64.min
}

/// `value` rounded half away from zero to `scale` decimals, printed with exactly that many.
func fixtureRounded(_ value: Decimal, _ scale: Int) -> String {
    var input = value
    var output = Decimal()
    NSDecimalRound(&output, &input, scale, .plain)
    let scaled = NSDecimalNumber(decimal: output * pow(Decimal(10), scale)).int64Value
    return Fixed(units: scaled, scale: scale).description
}

@Suite struct MarketDataTests {
    static let t0: Int64 = 1_769_904_000_000  // 2026-02-01 00:00 UTC, the fixtures' first minute
    static let minute: Int64 = 60_000

    @Test(arguments: [CandleInterval.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours, .oneDay])
    func higherIntervalsEqualTheAggregationOf1m(interval: CandleInterval) async throws {
        let data = try await ArchiveFixture.futures()
        let now = try #require(data.lastOpenTime) + Self.minute
        for symbol in ["ALGOUSDT", "LTCUSDT"] {
            let series = try IndependentSeries.of(symbol)
            let width = interval.milliseconds
            var served: [KlineOut] = []
            var start = Self.t0
            while let page = data.klines(symbol: symbol, interval: interval, startTime: start, endTime: nil, limit: 1_500, now: now),
                  let last = page.last {
                #expect(page.count <= 1_500)
                served += page
                start = last.openTime + width
            }
            let buckets = Dictionary(grouping: series.rows) { $0.openTime / width * width }
            #expect(served.count == buckets.count && served.count == Int(40_320 * Self.minute / width))
            for kline in served {
                let rows = try #require(buckets[kline.openTime]?.sorted { $0.openTime < $1.openTime })
                let fixed = { (units: Int64, scale: Int) in Fixed(units: units, scale: scale).description }
                let expected = [
                    fixed(rows[0].open, series.price), fixed(rows.map(\.high).max() ?? 0, series.price),
                    fixed(rows.map(\.low).min() ?? 0, series.price), fixed(rows[rows.count - 1].close, series.price),
                    fixed(rows.map(\.volume).reduce(0, +), series.volume), fixed(rows.map(\.quoteVolume).reduce(0, +), series.quote),
                    String(rows.map(\.trades).reduce(0, +)), fixed(rows.map(\.takerBuyVolume).reduce(0, +), series.volume),
                    fixed(rows.map(\.takerBuyQuoteVolume).reduce(0, +), series.quote), String(kline.openTime + width - 1),
                ]
                let actual = [kline.open, kline.high, kline.low, kline.close, kline.volume, kline.quoteVolume, String(kline.trades),
                              kline.takerBuyVolume, kline.takerBuyQuoteVolume, String(kline.closeTime)]
                #expect(actual == expected, "\(symbol) \(interval) \(kline.openTime)")
                #expect(kline.isClosed)
            }
        }
    }

    @Test func selectionFollowsStartTimeEndTimeAndLimit() async throws {
        let data = try await ArchiveFixture.futures()
        let t0 = Self.t0, m = Self.minute
        let now = t0 + 3 * 86_400_000 + 37 * m + 30_000
        func times(_ interval: CandleInterval, _ start: Int64?, _ end: Int64?, _ limit: Int) -> [Int64]? {
            data.klines(symbol: "LINKUSDT", interval: interval, startTime: start, endTime: end, limit: limit, now: now)?.map(\.openTime)
        }
        let current = t0 + 3 * 86_400_000 + 37 * m
        // Neither: the latest `limit`, ending with the open candle.
        let latest = try #require(data.klines(symbol: "LINKUSDT", interval: .oneMinute, startTime: nil, endTime: nil, limit: 5, now: now))
        #expect(latest.map(\.openTime) == (0..<5).map { current - (4 - $0) * m })
        #expect(latest.map(\.isClosed) == [true, true, true, true, false])
        for kline in latest.dropLast() { #expect(kline == data.closedKline(symbol: "LINKUSDT", openTime: kline.openTime)) }
        #expect(times(.oneMinute, nil, nil, 500)?.count == 500)
        // startTime: buckets opening at or after it; endTime: opening at or before it.
        #expect(times(.fiveMinutes, t0 + 1, nil, 3) == [t0 + 5 * m, t0 + 10 * m, t0 + 15 * m])
        #expect(times(.fiveMinutes, t0, t0 + 12 * m, 100) == [t0, t0 + 5 * m, t0 + 10 * m])
        #expect(times(.fiveMinutes, nil, t0 + 12 * m, 2) == [t0 + 5 * m, t0 + 10 * m])
        #expect(times(.oneDay, 0, nil, 2) == [t0, t0 + 86_400_000])
        #expect(times(.oneDay, nil, nil, 10) == [t0, t0 + 86_400_000, t0 + 2 * 86_400_000, t0 + 3 * 86_400_000])
        // Nothing after now, nothing before the data, nothing for an empty range.
        #expect(times(.oneMinute, nil, now + 86_400_000, 2) == [current - m, current])
        #expect(times(.oneHour, now + 3_600_000, nil, 10) == [])
        #expect(times(.oneHour, t0, t0 - 1, 10) == [])
        #expect(times(.oneMinute, nil, t0 - 1, 10) == [])
        #expect(times(.oneMinute, Int64.max, Int64.max, 10) == [])
        #expect(times(.oneMinute, Int64.min, Int64.min, 10) == [])
        #expect(times(.oneMinute, nil, nil, 0) == [])
        #expect(data.klines(symbol: "NOPEUSDT", interval: .oneMinute, startTime: nil, endTime: nil, limit: 5, now: now) == nil)
        #expect(data.klines(symbol: "LINKUSDT", interval: .oneMinute, startTime: nil, endTime: nil, limit: 5, now: t0 - 1) == [])
    }

    @Test func theOpenCandleProgressesTowardTheArchiveRow() async throws {
        let data = try await ArchiveFixture.futures()
        let series = try IndependentSeries.of("DOTUSDT")
        for minuteIndex in stride(from: 500, to: 40_000, by: 1_997) {
            let row = series.rows[minuteIndex]
            var previous: IndependentSeries.Row?
            for elapsed in stride(from: Int64(0), to: 60_000, by: 250) {
                let open = try #require(data.currentKline(symbol: "DOTUSDT", now: row.openTime + elapsed))
                #expect(!open.isClosed && open.openTime == row.openTime && open.closeTime == row.openTime + 59_999)
                let p = series.price, v = series.volume, q = series.quote
                let state = IndependentSeries.Row(
                    openTime: open.openTime, open: fixtureUnits(open.open, p), high: fixtureUnits(open.high, p), low: fixtureUnits(open.low, p),
                    close: fixtureUnits(open.close, p), volume: fixtureUnits(open.volume, v), quoteVolume: fixtureUnits(open.quoteVolume, q),
                    trades: open.trades, takerBuyVolume: fixtureUnits(open.takerBuyVolume, v), takerBuyQuoteVolume: fixtureUnits(open.takerBuyQuoteVolume, q))
                #expect(state.open == row.open && state.high <= row.high && state.low >= row.low && (state.low...state.high).contains(state.close))
                #expect(state.volume <= row.volume && state.quoteVolume <= row.quoteVolume && state.trades <= row.trades)
                #expect(state.takerBuyVolume <= state.volume)
                if elapsed == 0 { #expect(state.high == row.open && state.low == row.open && state.volume == 0 && state.trades == 0) }
                if let previous {
                    #expect(state.high >= previous.high && state.low <= previous.low)
                    #expect(state.volume >= previous.volume && state.quoteVolume >= previous.quoteVolume && state.trades >= previous.trades)
                }
                previous = state
            }
            // At the minute's end it is the archive row, served closed.
            let closed = try #require(data.klines(symbol: "DOTUSDT", interval: .oneMinute, startTime: nil, endTime: nil, limit: 2,
                                                  now: row.openTime + Self.minute))
            #expect(closed[0] == data.closedKline(symbol: "DOTUSDT", openTime: row.openTime))
            #expect(closed[0].isClosed && fixtureUnits(closed[0].close, series.price) == row.close && fixtureUnits(closed[0].volume, series.volume) == row.volume)
            #expect(closed[1].openTime == row.openTime + Self.minute && !closed[1].isClosed)
            let raw = try #require(data.rows("DOTUSDT")?[minuteIndex])
            #expect(IntraMinute.progress(raw, elapsed: 60_000) == raw)
            // The price has finished its path before the minute ends; volumes keep growing to the end.
            let late = try #require(data.currentKline(symbol: "DOTUSDT", now: row.openTime + 59_999))
            #expect(late.close == closed[0].close && late.high == closed[0].high && late.low == closed[0].low)
            #expect(fixtureUnits(late.volume, series.volume) <= row.volume)
        }
        #expect(data.currentKline(symbol: "DOTUSDT", now: Self.t0 - 1) == nil)
    }

    @Test func theOpenHourIsTheClosedMinutesPlusThePartialOne() async throws {
        let data = try await ArchiveFixture.futures()
        let series = try IndependentSeries.of("LTCUSDT")
        let now = Self.t0 + 7 * 86_400_000 + 5 * 3_600_000 + 42 * Self.minute + 12_345
        let hour = try #require(data.klines(symbol: "LTCUSDT", interval: .oneHour, startTime: nil, endTime: nil, limit: 1, now: now)?.first)
        let partial = try #require(data.currentKline(symbol: "LTCUSDT", now: now))
        let start = now / 3_600_000 * 3_600_000
        let closed = series.rows.filter { $0.openTime >= start && $0.openTime < partial.openTime }
        #expect(closed.count == 42 && hour.openTime == start && !hour.isClosed)
        #expect(fixtureUnits(hour.volume, series.volume) == closed.map(\.volume).reduce(0, +) + fixtureUnits(partial.volume, series.volume))
        #expect(hour.trades == closed.map(\.trades).reduce(0, +) + partial.trades)
        #expect(fixtureUnits(hour.high, series.price) == max(closed.map(\.high).max() ?? 0, fixtureUnits(partial.high, series.price)))
        #expect(hour.close == partial.close && fixtureUnits(hour.open, series.price) == closed[0].open)
    }

    @Test(arguments: [Int64(5 * 86_400_000 + 123 * 60_000 + 17_000), Int64(2 * 86_400_000), Int64(86_400_000 / 2)])
    func ticker24hMatchesAnIndependentComputation(offset: Int64) async throws {
        let data = try await ArchiveFixture.futures()
        let series = try IndependentSeries.of("LINKUSDT")
        let now = Self.t0 + offset
        let ticker = try #require(data.ticker24h(symbol: "LINKUSDT", now: now))
        let partial = try #require(data.currentKline(symbol: "LINKUSDT", now: now))
        let current = now / Self.minute * Self.minute
        let full = series.rows.filter { $0.openTime >= current - 86_400_000 && $0.openTime < current }
        #expect(full.count == min(1_440, Int((current - Self.t0) / Self.minute)))
        let (p, v, q) = (series.price, series.volume, series.quote)
        let volume = full.map(\.volume).reduce(0, +) + fixtureUnits(partial.volume, v)
        let quoteVolume = full.map(\.quoteVolume).reduce(0, +) + fixtureUnits(partial.quoteVolume, q)
        let open = full.first?.open ?? fixtureUnits(partial.open, p)
        let last = fixtureUnits(partial.close, p)
        let decimal = { (value: Int64, scale: Int) in Decimal(value) / pow(Decimal(10), scale) }
        #expect(ticker.symbol == "LINKUSDT")
        #expect(ticker.openPrice == Fixed(units: open, scale: p).description && ticker.lastPrice == partial.close)
        #expect(ticker.priceChange == Fixed(units: last - open, scale: p).description)
        #expect(ticker.priceChangePercent == fixtureRounded(decimal(last - open, p) / decimal(open, p) * 100, 3))
        #expect(ticker.weightedAvgPrice == fixtureRounded(decimal(quoteVolume, q) / decimal(volume, v), p))
        #expect(ticker.highPrice == Fixed(units: max(full.map(\.high).max() ?? 0, fixtureUnits(partial.high, p)), scale: p).description)
        #expect(ticker.lowPrice == Fixed(units: min(full.map(\.low).min() ?? .max, fixtureUnits(partial.low, p)), scale: p).description)
        #expect(ticker.volume == Fixed(units: volume, scale: v).description)
        #expect(ticker.quoteVolume == Fixed(units: quoteVolume, scale: q).description)
        #expect(ticker.count == full.map(\.trades).reduce(0, +) + partial.trades)
        #expect(ticker.openTime == now - 86_400_000 && ticker.closeTime == now)
        let before = series.row(at: (full.first?.openTime ?? current) - Self.minute)
        #expect(ticker.prevClosePrice == Fixed(units: before?.close ?? open, scale: p).description)
    }

    @Test func tickersCoverEverySymbolAndEmptyWindowsShowNoVolume() async throws {
        let data = try await ArchiveFixture.futures()
        let now = Self.t0 + 86_400_000
        #expect(data.tickers24h(now: now).map(\.symbol) == ArchiveFixture.symbols)
        let before = try #require(data.ticker24h(symbol: "ALGOUSDT", now: Self.t0 - 3_600_000))
        #expect(before.volume == "0.0" && before.count == 0 && before.lastPrice == "0.1038" && before.priceChangePercent == "0.000")
        let after = try #require(data.ticker24h(symbol: "ALGOUSDT", now: Self.t0 + 40 * 86_400_000))
        let lastOpenTime = try #require(data.lastOpenTime)
        #expect(after.count == 0 && after.lastPrice == data.closedKline(symbol: "ALGOUSDT", openTime: lastOpenTime)?.close)
        #expect(data.ticker24h(symbol: "NOPE", now: now) == nil)
    }

    @Test func decimalsPrintWithExactlyTheirScale() {
        #expect(decimalText(1038, scale: 4) == "0.1038")
        #expect(decimalText(5, scale: 3) == "0.005")
        #expect(decimalText(0, scale: 2) == "0.00")
        #expect(decimalText(0, scale: 0) == "0")
        #expect(decimalText(-15, scale: 1) == "-1.5")
        #expect(decimalText(1_234_500, scale: 0) == "1234500")
        #expect(decimalText(Int128(Int64.max) * 1_000 + 7, scale: 8) == "92233720368547.75807007")
        #expect(decimalText(-(Int128(1) << 100), scale: 18) == "-1267650600228.229401496703205376")
    }

    @Test func mergedMarketsAndFuturesQueries() throws {
        let algo = try MarketData.load(market: .futures, directories: [Fixtures.futuresArchive("ALGOUSDT")])
        let both = try MarketData.load(market: .futures, directories: [Fixtures.futuresArchive("LINKUSDT"), Fixtures.futuresArchive("ALGOUSDT")])
        let merged = MarketData.merged([algo, both])
        #expect(merged.symbols.map(\.symbol) == ["ALGOUSDT", "LINKUSDT"] && merged.market == .futures)
        #expect(merged.firstOpenTime == Self.t0 && merged.lastOpenTime == both.lastOpenTime)
        #expect(merged.rows("ALGOUSDT") == algo.rows("ALGOUSDT"))
        #expect(merged.premiumIndex(symbol: "ALGOUSDT", now: Self.t0 + 3_600_000)?.symbol == "ALGOUSDT")
        #expect(merged.premiumIndexes(now: Self.t0 + 3_600_000).map(\.symbol) == ["ALGOUSDT", "LINKUSDT"])
        #expect(merged.premiumIndex(symbol: "NOPE", now: Self.t0) == nil)
        #expect(merged.openInterest(symbol: "NOPE", now: Self.t0) == nil)
        #expect(merged.fundingRates(symbol: "NOPE", startTime: nil, endTime: nil, limit: 100, now: Self.t0 + 86_400_000).isEmpty)
        let spot = try MarketData.load(market: .spot, directories: [Fixtures.futuresArchive("ALGOUSDT")])
        #expect(spot.info("ALGOUSDT")?.contractType == "" && spot.info("ALGOUSDT")?.permissions == ["SPOT"])
        #expect(spot.premiumIndex(symbol: "ALGOUSDT", now: Self.t0 + 3_600_000) == nil)
        #expect(spot.fundingRates(symbol: nil, startTime: nil, endTime: nil, limit: 100, now: Self.t0 + 86_400_000).isEmpty)
        #expect(spot.longShortRatios(symbol: "ALGOUSDT", periodMillis: 300_000, startTime: nil, endTime: nil, limit: 30, now: Self.t0).isEmpty)
        #expect(MarketData.merged([]).symbols.isEmpty)
    }
}
