import CandleStore
import Core
import Foundation
import Testing
import TestSupport

@Suite struct QueryTests {
    @Test func missingMinutesFindsInjectedGapsAndLastOpenTimeTheNewestCandle() async throws {
        let lines = try LinkArchive.lines(days: 1).prefix(180)  // 00:00 … 02:59
        let start = LinkArchive.monthStart
        let minute = LinkArchive.minute
        let removed: Set<Int64> = [start + 17 * minute, start + 90 * minute, start + 91 * minute, start + 92 * minute]
        try await withStore { store async throws in
            #expect(try await store.lastOpenTime(market: .futures, symbol: "LINKUSDT", interval: .oneMinute) == nil)
            try await store.upsert(try candleRows(lines.filter { !removed.contains(Int64($0[0])!) }))

            let gaps = try await store.missingMinutes(market: .futures, symbol: "LINKUSDT", from: start, to: start + 180 * minute)
            #expect(gaps == removed.sorted())
            // Past the data every minute is missing; `from` rounds up to a whole minute; `to` is exclusive.
            let tail = try await store.missingMinutes(market: .futures, symbol: "LINKUSDT", from: start + 179 * minute + 1, to: start + 183 * minute)
            #expect(tail == [start + 180 * minute, start + 181 * minute, start + 182 * minute])
            #expect(try await store.missingMinutes(market: .futures, symbol: "LINKUSDT", from: start + 18 * minute, to: start + 90 * minute).isEmpty)
            #expect(try await store.missingMinutes(market: .spot, symbol: "LINKUSDT", from: start, to: start + 2 * minute) == [start, start + minute])

            #expect(try await store.lastOpenTime(market: .futures, symbol: "LINKUSDT", interval: .oneMinute) == start + 179 * minute)
            // Hour 00 lacks 00:17 and hour 01 lacks 01:30–01:32: 02:00 is the only complete hour.
            #expect(try await store.lastOpenTime(market: .futures, symbol: "LINKUSDT", interval: .oneHour) == start + 2 * LinkArchive.hour)
            #expect(try await store.count(market: .futures, symbol: "LINKUSDT", interval: .oneHour) == 1)
            #expect(try await store.lastOpenTime(market: .futures, symbol: "LINKUSDT", interval: .oneDay) == nil)
            #expect(try await store.lastOpenTime(market: .futures, symbol: "BTCUSDT", interval: .oneMinute) == nil)
            #expect(try await store.count(market: .futures, symbol: "LINKUSDT", interval: .oneMinute, from: start, to: start + 60 * minute) == 59)
        }
    }

    @Test func exportPagesKeepOrderAndRespectTheRange() async throws {
        let lines = try LinkArchive.lines(days: 1)
        try await withStore { store async throws in
            try await store.upsert(try candleRows(lines))
            let from = LinkArchive.monthStart + 100 * LinkArchive.minute
            let to = from + 250 * LinkArchive.minute
            var chunks: [String] = []
            let written = try await store.export(market: .futures, symbol: "LINKUSDT", from: from, to: to, header: false, pageSize: 100) {
                chunks.append($0)
            }
            #expect(written == 250)
            #expect(chunks.count == 3)
            #expect(chunks.joined() == LinkArchive.file(Array(lines[100..<350]), header: false))

            var hourly: [String] = []
            try await store.export(market: .futures, symbol: "LINKUSDT", interval: .oneHour, from: 0, to: 4_000_000_000_000, pageSize: 7) {
                hourly.append($0)
            }
            let expected = referenceRollup(lines, interval: .oneHour).sorted { $0.key < $1.key }.map { $0.value + "\n" }.joined()
            #expect(hourly.joined() == KlineCSV.header + "\n" + expected)

            var empty: [String] = []
            #expect(try await store.export(market: .futures, symbol: "BTCUSDT", from: 0, to: 4_000_000_000_000) { empty.append($0) } == 0)
            #expect(empty == [KlineCSV.header + "\n"])
        }
    }
}
