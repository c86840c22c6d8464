import CandleStore
import Core
import Postgres
import Testing
import TestSupport

/// A symbol's candle revision (migration 0009), which inference's candle cache trusts: it must
/// move on every write that changes stored candles other than at the end, and only then (a
/// revision that moved on every append would reload every cached window on every job).
@Suite struct CandleRevisionTests {
    static func revision(_ store: CandleStore, _ symbol: String = LinkArchive.symbol) async throws -> Int64 {
        try await store.postgres.query("""
            SELECT coalesce((SELECT revision FROM candle_revisions WHERE market = 'futures' AND symbol = \(symbol)), 0)
            """).first?.decode(0, as: Int64.self) ?? -1
    }

    @Test func onlyWritesOtherThanAppendsReviseASymbol() async throws {
        let lines = try LinkArchive.lines(days: 3)
        try await withStore { store async throws in
            // The first candles give the symbol a revision (never 0, which a symbol without a row
            // reads). Appends, in two batches that split a 5m, 1h and 1d bucket (the second
            // batch updates the derived candles still forming), leave it.
            #expect(try await Self.revision(store) == 0)
            try await store.upsert(try candleRows(Array(lines[0..<703])))
            let first = try await Self.revision(store)
            #expect(first > 0)
            try await store.upsert(try candleRows(Array(lines[703..<1440])))
            #expect(try await Self.revision(store) == first)
            // The same minutes sent again change nothing.
            let resent = try await store.upsert(try candleRows(Array(lines[1400..<1440]), source: .ws))
            #expect(resent.changed == 0)
            #expect(try await Self.revision(store) == first)

            // The second day with a minute missing is appended; that minute arriving later is not.
            let gap = 2000
            try await store.upsert(try candleRows(Array(lines[1440..<gap] + lines[(gap + 1)..<2880])))
            #expect(try await Self.revision(store) == first)
            try await store.upsert(try candleRows([lines[gap]], source: .backfill))
            let repaired = try await Self.revision(store)
            #expect(repaired > first)

            // A corrected minute (Binance sends it again with other values).
            var corrected = lines[2500]
            corrected[4] = corrected[4] == corrected[3] ? corrected[2] : corrected[3]  // close moved to the low (or high)
            try await store.upsert(try candleRows([corrected], source: .ws))
            let afterCorrection = try await Self.revision(store)
            #expect(afterCorrection > repaired)

            // History older than the stored minutes, from Binance's hourly klines.
            var history = try candleRows([lines[0]], source: .backfill)[0]
            history.interval = .oneHour
            history.openTime = LinkArchive.monthStart - LinkArchive.hour
            history.closeTime = LinkArchive.monthStart - 1
            #expect(try await store.insertHistory([history]) == 1)
            let afterHistory = try await Self.revision(store)
            #expect(afterHistory > afterCorrection)

            // The next day's first minute: an append again, no revision.
            try await store.upsert(try candleRows([lines[2880]], source: .ws))
            #expect(try await Self.revision(store) == afterHistory)

            // A repair of the derived candles (after an edit outside the store) revises too.
            _ = try await store.postgres.execute("""
                UPDATE candles_5m SET high = high + 1 WHERE open_time = timestamptz 'epoch' + \(LinkArchive.monthStart) * interval '1 millisecond'
                """)
            let edited = try await Self.revision(store)
            #expect(edited == afterHistory, "derived updates alone do not revise (they follow a 1m change)")
            let repairs = try await store.rederive(market: .futures, symbol: LinkArchive.symbol, from: LinkArchive.monthStart, to: LinkArchive.monthStart + LinkArchive.hour)
            #expect(repairs[.fiveMinutes] == 1)
            #expect(try await Self.revision(store) > edited)

            // A deleted candle, and the restore's revision of every symbol.
            _ = try await store.postgres.execute("DELETE FROM candles WHERE interval = '1m' AND open_time = (SELECT min(open_time) FROM candles WHERE interval = '1m')")
            let afterDelete = try await Self.revision(store)
            #expect(afterDelete > edited)
            #expect(try await store.postgres.query("SELECT ap_candles_revise_all()").first?.decode(0, as: Int.self) == 1)
            #expect(try await Self.revision(store) > afterDelete)
        }
    }
}
