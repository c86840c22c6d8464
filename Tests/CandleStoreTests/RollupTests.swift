import CandleStore
import Core
import Foundation
import Postgres
import Testing
import TestSupport

/// Rows of the fixture as `CandleRow`s (through the archive parser, which keeps the text).
func candleRows(_ lines: [[String]], source: CandleSource = .import) throws -> [CandleRow] {
    try KlineCSV.rows(Array(LinkArchive.file(lines).utf8), market: .futures, symbol: LinkArchive.symbol, source: source)
}

@Suite struct RollupTests {
    /// 2026-02-02 10:37 UTC: inside the 5m bucket 10:35, 15m 10:30, 1h 10:00, 4h 08:00, 1d 02-02.
    static let gapMinute = LinkArchive.monthStart + LinkArchive.day + 10 * LinkArchive.hour + 37 * LinkArchive.minute

    @Test func aMissingMinuteHoldsBackItsBucketsUntilItArrives() async throws {
        let lines = try LinkArchive.lines(days: 3)
        let withoutGap = lines.filter { Int64($0[0])! != Self.gapMinute }
        try #require(withoutGap.count == lines.count - 1)
        try await withStore { store async throws in
            let first = try await store.upsert(try candleRows(withoutGap))
            #expect(first.changed == lines.count - 1)
            // Complete buckets only: the reference over the rows with the gap has none of its buckets.
            #expect(try await rollupMismatches(store, withoutGap).isEmpty)
            let start = LinkArchive.monthStart + LinkArchive.day
            let absent: [(CandleInterval, Int64)] = [
                (.fiveMinutes, start + 10 * LinkArchive.hour + 35 * LinkArchive.minute),
                (.fifteenMinutes, start + 10 * LinkArchive.hour + 30 * LinkArchive.minute),
                (.oneHour, start + 10 * LinkArchive.hour),
                (.fourHours, start + 8 * LinkArchive.hour),
                (.oneDay, start),
            ]
            for (interval, openTime) in absent {
                let stored = try await storedRows(store, interval)
                #expect(stored[openTime] == nil, "\(interval.rawValue) bucket with a missing minute was derived")
                #expect(stored[openTime - interval.milliseconds] != nil && stored[openTime + interval.milliseconds] != nil)
            }
            #expect(first.rollups == [.fiveMinutes: 863, .fifteenMinutes: 287, .oneHour: 71, .fourHours: 17, .oneDay: 2])

            // The backfill of that one minute completes all five buckets.
            let missing = try candleRows(lines.filter { Int64($0[0])! == Self.gapMinute }, source: .backfill)
            let second = try await store.upsert(missing)
            #expect(second.changed == 1)
            #expect(second.rollups == [.fiveMinutes: 1, .fifteenMinutes: 1, .oneHour: 1, .fourHours: 1, .oneDay: 1])
            let problems = try await rollupMismatches(store, lines)
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    @Test func aChangedMinuteReDerivesItsBuckets() async throws {
        var lines = try LinkArchive.lines(days: 2)
        try await withStore { store async throws in
            try await store.upsert(try candleRows(lines))
            // 2026-02-01 10:44, the last minute of 5m 10:40 and 15m 10:30: a new high and close.
            let target = LinkArchive.monthStart + 10 * LinkArchive.hour + 44 * LinkArchive.minute
            let index = try #require(lines.firstIndex { Int64($0[0])! == target })
            lines[index][2] = "99.999"
            lines[index][4] = "99.990"
            let result = try await store.upsert(try candleRows([lines[index]], source: .ws))
            #expect(result.changed == 1)
            #expect(result.rollups == [.fiveMinutes: 1, .fifteenMinutes: 1, .oneHour: 1, .fourHours: 1, .oneDay: 1])
            let problems = try await rollupMismatches(store, lines)
            #expect(problems.isEmpty, "\(problems)")
            let hour = try await storedRows(store, .oneHour)[LinkArchive.monthStart + 10 * LinkArchive.hour]
            #expect(hour?.split(separator: ",")[2] == "99.999")
            let minute = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: .oneMinute, from: target, to: target + 1)
            #expect(minute.first?.source == .ws && minute.first?.close == "99.990")

            // A change of scale alone is a change too, and its sums follow it.
            var rescaled = lines[index]
            rescaled[5] += "0"
            let scale = try await store.upsert(try candleRows([rescaled]))
            #expect(scale.changed == 1)
            let fiveMinutes = try await storedRows(store, .fiveMinutes)[target - 4 * LinkArchive.minute]
            #expect(fiveMinutes?.split(separator: ",")[5].split(separator: ".").last?.count == 3)
        }
    }

    @Test func bucketsCompleteAcrossSmallUnorderedBatches() async throws {
        let lines = try LinkArchive.lines(days: 1)
        var rows = try candleRows(lines)
        var generator = SplitMix(seed: 7)
        rows.shuffle(using: &generator)
        try await withStore { store async throws in
            var total = CandleStore.UpsertResult()
            var start = 0
            while start < rows.count {
                let end = min(start + 97, rows.count)
                total.add(try await store.upsert(Array(rows[start..<end])))
                start = end
            }
            #expect(total.changed == 1_440)
            #expect(total.rollups == [.fiveMinutes: 288, .fifteenMinutes: 96, .oneHour: 24, .fourHours: 6, .oneDay: 1])
            #expect(try await rollupMismatches(store, lines).isEmpty)
        }
    }

    /// Writers racing to complete the same buckets (a backfill beside the live stream): each
    /// task brings one minute of every 5m bucket, so whichever commits last completes them.
    @Test func concurrentWritersStillCompleteEveryBucket() async throws {
        let lines = try LinkArchive.lines(days: 1)
        let rows = try candleRows(lines)
        try await withStore(connections: 5) { store async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for slot in 0..<5 {
                    let mine = rows.enumerated().filter { $0.offset % 5 == slot }.map(\.element)
                    group.addTask {
                        var start = 0
                        while start < mine.count {
                            try await store.upsert(Array(mine[start..<min(start + 12, mine.count)]))
                            start += 12
                        }
                    }
                }
                try await group.waitForAll()
            }
            let problems = try await rollupMismatches(store, lines)
            #expect(problems.isEmpty, "\(problems.prefix(5))")
        }
    }

    @Test func aBatchRepeatingAKeyKeepsItsLastRow() async throws {
        let lines = try LinkArchive.lines(days: 1)
        var rows = try candleRows(Array(lines.prefix(5)))
        var changed = rows[2]
        changed.close = "12.345"
        changed.high = "12.345"
        rows.append(changed)
        try await withStore { store async throws in
            let result = try await store.upsert(rows)
            #expect(result.received == 5 && result.changed == 5 && result.rollups[.fiveMinutes] == 1)
            let stored = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: .oneMinute, from: 0, to: 4_000_000_000_000)
            #expect(stored.count == 5 && stored[2].close == "12.345")
            let bucket = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: .fiveMinutes, from: 0, to: 4_000_000_000_000)
            #expect(bucket.first?.high == "12.345")
        }
    }

    @Test func rederiveRepairsRollupsEditedByHand() async throws {
        let lines = try LinkArchive.lines(days: 1)
        try await withStore { store async throws in
            try await store.upsert(try candleRows(lines))
            let hour = LinkArchive.monthStart + 5 * LinkArchive.hour
            try await store.postgres.execute("""
                DELETE FROM candles WHERE interval = '1h' AND open_time = timestamptz 'epoch' + \(hour) * interval '1 millisecond'
                """)
            try await store.postgres.execute("UPDATE candles SET high = high + 1 WHERE interval = '4h' AND open_time = '2026-02-01 08:00+00'")
            #expect(try await rollupMismatches(store, lines).count == 3, "1h count, 1h row, 4h row")
            let repaired = try await store.rederive(market: .futures, symbol: "LINKUSDT", from: LinkArchive.monthStart, to: LinkArchive.monthStart + LinkArchive.day)
            #expect(repaired == [.fiveMinutes: 0, .fifteenMinutes: 0, .oneHour: 1, .fourHours: 1, .oneDay: 0])
            #expect(try await rollupMismatches(store, lines).isEmpty)
        }
    }

    @Test func invalidCandlesAreRefusedAndNothingIsWritten() async throws {
        let good = try candleRows(Array(try LinkArchive.lines(days: 1).prefix(3)))
        try await withStore { store async throws in
            var fiveMinute = good[0]; fiveMinute.interval = .fiveMinutes
            var rollup = good[0]; rollup.source = .rollup
            var misaligned = good[0]; misaligned.openTime += 1
            var notANumber = good[0]; notANumber.volume = "1e5"
            var closeFirst = good[0]; closeFirst.closeTime = closeFirst.openTime
            for bad in [fiveMinute, rollup, misaligned, notANumber, closeFirst] {
                let error = await #expect(throws: CandleStoreError.self) { try await store.upsert(good + [bad]) }
                #expect(error?.code == .invalidCandle)
            }
            // What only the database checks (high >= low) rolls the whole batch back.
            var inverted = good[1]; inverted.high = "1.000"; inverted.low = "2.000"
            let error = await #expect(throws: PostgresError.self) { try await store.upsert([good[0], inverted]) }
            #expect(error?.sqlState == "23514")
            let stored = try await store.count(market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
            #expect(stored == 0)
            // The connection and its staging table are fine afterwards.
            #expect(try await store.upsert(good).changed == 3)
            #expect(try await store.upsert([]).changed == 0)
        }
    }
}

/// A seeded generator, so a shuffled order is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
