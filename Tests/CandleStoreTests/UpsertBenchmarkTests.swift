import CandleStore
import Core
import Foundation
import Testing

/// Timings printed for the record, never asserted (timing goals live in benchmarks).
@Suite struct UpsertBenchmarkTests {
    @Test func upsertAndRollupTimings() async throws {
        let day = try candleRows(try LinkArchive.lines(days: 1))
        // 100 symbols × 100 minutes = 10,000 rows, then 100 symbols × 10 new minutes = 1,000 rows.
        func rows(minutes: Range<Int>) -> [CandleRow] {
            (0..<100).flatMap { symbol in
                day[minutes].map { row in
                    var row = row
                    row.symbol = "SYM\(symbol)USDT"
                    return row
                }
            }
        }
        try await withStore { store async throws in
            let clock = ContinuousClock()
            var result = CandleStore.UpsertResult()
            let first = rows(minutes: 0..<100)
            let bulk = try await clock.measure { result = try await store.upsert(first) }
            #expect(result.changed == 10_000 && result.rollups[.fiveMinutes] == 2_000 && result.rollups[.oneHour] == 100)
            let repeated = try await clock.measure { result = try await store.upsert(first) }
            #expect(result.changed == 0)
            var small: [Duration] = []
            for start in stride(from: 100, to: 160, by: 10) {
                let batch = rows(minutes: start..<(start + 10))
                small.append(try await clock.measure { result = try await store.upsert(batch) })
                #expect(result.changed == 1_000)
            }
            #expect(try await store.count(market: .futures, symbol: "SYM7USDT", interval: .oneHour) == 2)
            let median = small.sorted()[small.count / 2]
            print("candle upsert+rollup: 10,000 new rows (100 symbols) \(bulk); same 10,000 again \(repeated); 1,000 new rows (100 symbols × 10 min) median \(median) of \(small.count)")
        }
    }
}
