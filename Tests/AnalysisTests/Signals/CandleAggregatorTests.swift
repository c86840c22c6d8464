import Testing
import Analysis
import Core

private typealias F = SignalFixtures

@Suite struct CandleAggregatorTests {
    @Test func fiveMinuteRollupMatchesHandValues() throws {
        let minutes = [
            F.oneMinute(0, open: 10, high: 12, low: 9, close: 11, volume: 1),
            F.oneMinute(1, open: 11, high: 15, low: 10, close: 14, volume: 2),
            F.oneMinute(2, open: 14, high: 14, low: 8, close: 9, volume: 3),
            F.oneMinute(3, open: 9, high: 10, low: 9, close: 10, volume: 4),
            F.oneMinute(4, open: 10, high: 13, low: 10, close: 12, volume: 5),
        ]
        var aggregator = CandleAggregator(intervals: [.fiveMinutes])
        for candle in minutes.dropLast() {
            #expect(aggregator.add(candle).isEmpty)
        }
        let closed = aggregator.add(minutes[4])
        let five = try #require(closed.first)
        #expect(closed.count == 1)
        #expect(five.interval == .fiveMinutes)
        #expect(five.symbol == "BTCUSDT" && five.market == .futures)
        #expect(five.openTime == F.base)
        #expect(five.closeTime == F.base + 5 * F.minute - 1)
        #expect(five.open == 10)
        #expect(five.high == 15)
        #expect(five.low == 8)
        #expect(five.close == 12)
        #expect(five.volume == 15)
        #expect(five.quoteVolume == 11 + 28 + 27 + 40 + 60)
        #expect(five.trades == 50)
        #expect(five.takerBuyVolume == 7.5)
        #expect(five.takerBuyQuoteVolume == (11 + 28 + 27 + 40 + 60) / 2)
    }

    @Test func hourRollupAppearsOnlyWithItsLastMinute() throws {
        var aggregator = CandleAggregator()
        var emitted: [Candle] = []
        for index in 0..<60 {
            let price = Double(100 + index)
            let candle = F.oneMinute(Int64(index), open: price, high: price + 0.5, low: price - 0.5, close: price + 0.25)
            let closed = aggregator.add(candle)
            for bucket in closed {
                // Never a bucket whose end lies after the 1m candle just fed.
                #expect(bucket.closeTime <= candle.closeTime)
                #expect(bucket.closeTime == candle.closeTime)
            }
            emitted += closed
            if index < 59 { #expect(!closed.contains { $0.interval == .oneHour }) }
        }
        #expect(emitted.filter { $0.interval == .fiveMinutes }.count == 12)
        #expect(emitted.filter { $0.interval == .fifteenMinutes }.count == 4)
        let hour = try #require(emitted.last)
        #expect(hour.interval == .oneHour)
        #expect(hour.openTime == F.base)
        #expect(hour.closeTime == F.base + 3_600_000 - 1)
        #expect(hour.open == 100)
        #expect(hour.high == 159.5)
        #expect(hour.low == 99.5)
        #expect(hour.close == 159.25)
        #expect(hour.volume == 60)
        #expect(hour.trades == 600)
        #expect(!emitted.contains { $0.interval == .fourHours })
        // The last minute closes 5m, 15m and 1h together, shortest first.
        #expect(emitted.suffix(3).map(\.interval) == [.fiveMinutes, .fifteenMinutes, .oneHour])
    }

    @Test func incompleteBucketIsNeverEmitted() {
        var aggregator = CandleAggregator(intervals: [.fiveMinutes])
        var emitted: [Candle] = []
        for index: Int64 in [0, 1, 3, 4, 5, 6, 7, 8, 9, 13, 14] {  // minute 2 and 10-12 missing
            emitted += aggregator.add(F.flat(index, 100))
        }
        #expect(emitted.map(\.openTime) == [F.base + 5 * F.minute])
    }

    @Test func bucketJoinedHalfwayIsNotEmitted() {
        var aggregator = CandleAggregator(intervals: [.fiveMinutes])
        var emitted: [Candle] = []
        for index: Int64 in 3...9 { emitted += aggregator.add(F.flat(index, 100)) }
        #expect(emitted.map(\.openTime) == [F.base + 5 * F.minute])
    }

    @Test func duplicatesAndOlderCandlesAreIgnored() throws {
        var aggregator = CandleAggregator(intervals: [.fiveMinutes])
        var emitted: [Candle] = []
        for index: Int64 in [0, 1, 1, 2, 0, 3, 4] {
            emitted += aggregator.add(F.oneMinute(index, open: 1, high: 2, low: 1, close: 2, volume: 1))
        }
        let five = try #require(emitted.first)
        #expect(emitted.count == 1)
        #expect(five.volume == 5)
    }
}
