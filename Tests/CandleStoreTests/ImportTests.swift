import CandleStore
import Core
import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ImportTests {
    /// The whole fixture month: 1m rows byte-exact, every derived candle equal to an independent
    /// aggregation, and the month exported back byte for byte.
    @Test func importedMonthMatchesTheArchiveAndExportsBackByteForByte() async throws {
        let lines = try LinkArchive.lines()
        try #require(lines.count == 40_320)
        try await withStore { store async throws in
            let results = try await ArchiveImporter(store: store).importArchives(at: LinkArchive.path, market: .futures)
            #expect(results.count == 1)
            let result = try #require(results.first)
            #expect(result.symbol == "LINKUSDT" && result.rows == 40_320 && result.skipped == nil)
            #expect(result.upsert.received == 40_320 && result.upsert.changed == 40_320)
            #expect(result.upsert.rollups == [.fiveMinutes: 8_064, .fifteenMinutes: 2_688, .oneHour: 672, .fourHours: 168, .oneDay: 28])

            let stored = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: .oneMinute, from: 0, to: 4_000_000_000_000)
            #expect(stored.count == lines.count)
            #expect(stored.allSatisfy { $0.source == .import && $0.interval == .oneMinute })
            let mismatched = zip(stored, lines).filter { $0.csvRow != $1.joined(separator: ",") }
            #expect(mismatched.isEmpty, "first mismatch: \(mismatched.first.map { "\($0.0.csvRow) vs \($0.1)" } ?? "")")

            let problems = try await rollupMismatches(store, lines)
            #expect(problems.isEmpty, "\(problems)")
            let day = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: .oneDay, from: 0, to: 4_000_000_000_000)
            #expect(day.count == 28 && day.allSatisfy { $0.source == .rollup && $0.closeTime == $0.openTime + 86_399_999 })

            var chunks: [String] = []
            let written = try await store.export(
                market: .futures, symbol: "LINKUSDT", from: LinkArchive.monthStart, to: LinkArchive.monthStart + 28 * LinkArchive.day
            ) { chunks.append($0) }
            #expect(written == 40_320)
            #expect(chunks.count == 5, "10,000 rows per page")
            let exported = chunks.joined()
            let original = try LinkArchive.text()
            #expect(exported == original, "export differs from the archive")
            #expect(Array(exported.utf8) == Array(original.utf8))
        }
    }

    @Test func importingTwiceChangesNothing() async throws {
        let lines = try LinkArchive.lines(days: 3)
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("LINKUSDT-1m-2026-02-01.csv").path
            try LinkArchive.file(lines).write(toFile: file, atomically: true, encoding: .utf8)
            try await withStore { store async throws in
                let importer = ArchiveImporter(store: store, batchSize: 1_000)
                let first = try await importer.importArchives(at: file, market: .futures)
                #expect(first[0].upsert.changed == lines.count)
                let before = try await snapshot(store)
                #expect(before["1m"]?.count == lines.count && before["1d"]?.count == 3)
                // Let the clock move so a rewritten row would show a later updated_at.
                try await Task.sleep(for: .milliseconds(20))
                let second = try await importer.importArchives(at: file, market: .futures)
                #expect(second[0].rows == lines.count)
                #expect(second[0].upsert.changed == 0)
                #expect(second[0].upsert.rollups.values.allSatisfy { $0 == 0 }, "\(second[0].upsert.rollups)")
                let after = try await snapshot(store)
                #expect(after == before)
            }
        }
    }

    struct IntervalSnapshot: Equatable { var count: Int; var lastUpdate: String; var distinctUpdateTimes: Int }

    /// Row count, newest updated_at and number of distinct updated_at values, per interval.
    private func snapshot(_ store: CandleStore) async throws -> [String: IntervalSnapshot] {
        let rows = try await store.postgres.query("""
            SELECT interval, count(*), max(updated_at)::text, count(DISTINCT updated_at) FROM candles GROUP BY interval
            """)
        var result: [String: IntervalSnapshot] = [:]
        for row in rows {
            result[try row.decode(0)] = IntervalSnapshot(count: try row.decode(1), lastUpdate: try row.decode(2), distinctUpdateTimes: try row.decode(3))
        }
        return result
    }

    @Test func storedAndDeflatedZipsImportLikeTheCSV() async throws {
        let lines = try LinkArchive.lines(days: 1)
        let csv = LinkArchive.file(lines)
        try await withTemporaryDirectory { directory in
            let stored = directory.appendingPathComponent("stored")
            let deflated = directory.appendingPathComponent("deflated")
            for folder in [stored, deflated] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            try Data(storedZip(name: "LINKUSDT-1m-2026-02-01.csv", content: Array(csv.utf8)))
                .write(to: stored.appendingPathComponent("LINKUSDT-1m-2026-02-01.zip"))
            let plain = directory.appendingPathComponent("LINKUSDT-1m-2026-02-01.csv").path
            try csv.write(toFile: plain, atomically: true, encoding: .utf8)
            let python = try deflatedZip(of: plain, entryName: "LINKUSDT-1m-2026-02-01.csv", to: deflated.appendingPathComponent("LINKUSDT-1m-2026-02-01.zip").path)
            try #require(python.status == 0, "python3 zipfile: \(python.output)")
            let zipBytes = try Data(contentsOf: deflated.appendingPathComponent("LINKUSDT-1m-2026-02-01.zip"))
            #expect(zipBytes.count < csv.utf8.count / 2, "the python archive is really deflated")

            try await withStore { store async throws in
                let importer = ArchiveImporter(store: store)
                let first = try await importer.importArchives(at: stored.appendingPathComponent("LINKUSDT-1m-2026-02-01.zip").path, market: .futures)
                #expect(first.map(\.rows) == [1_440] && first[0].upsert.changed == 1_440)
                let rows = try await store.candles(market: .futures, symbol: "LINKUSDT", interval: .oneMinute, from: 0, to: 4_000_000_000_000)
                #expect(rows.map(\.csvRow) == lines.map { $0.joined(separator: ",") })
                // The deflated archive of the same rows changes nothing.
                let second = try await importer.importArchives(at: deflated.path, market: .futures)
                #expect(second.map(\.rows) == [1_440] && second[0].upsert.changed == 0)
                #expect(try await rollupMismatches(store, lines).isEmpty)
            }
        }
    }

    @Test func folderImportSkipsOtherIntervalsAndBadNames() async throws {
        let lines = try LinkArchive.lines(days: 1)
        try await withTemporaryDirectory { directory in
            let csv = LinkArchive.file(Array(lines.prefix(120)))
            for name in ["LINKUSDT-1m-2026-02-01.csv", "LINKUSDT-1h-2026-02-01.csv", "notes.csv", "README.txt", "LINKUSDT-1m-2026-02-01.zip.CHECKSUM"] {
                try csv.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try await withStore { store async throws in
                let importer = ArchiveImporter(store: store)
                let results = try await importer.importArchives(at: directory.path, market: .futures)
                #expect(results.map { ($0.path as NSString).lastPathComponent } == ["LINKUSDT-1h-2026-02-01.csv", "LINKUSDT-1m-2026-02-01.csv", "notes.csv"])
                #expect(results[0].skipped?.contains("only 1m") == true && results[0].rows == 0)
                #expect(results[1].skipped == nil && results[1].rows == 120)
                #expect(results[2].skipped != nil && results[2].symbol == nil)
                #expect(try await store.count(market: .futures, symbol: "LINKUSDT", interval: .oneMinute) == 120)
                #expect(try await store.count(market: .futures, symbol: "LINKUSDT", interval: .oneHour) == 2)

                // Named directly, the same files are errors.
                let hourly = await #expect(throws: CandleStoreError.self) {
                    try await importer.importArchives(at: directory.appendingPathComponent("LINKUSDT-1h-2026-02-01.csv").path, market: .futures)
                }
                #expect(hourly?.code == .unsupportedInterval)
                let badName = await #expect(throws: CandleStoreError.self) {
                    try await importer.importArchives(at: directory.appendingPathComponent("notes.csv").path, market: .futures)
                }
                #expect(badName?.code == .badName)
                let missing = await #expect(throws: CandleStoreError.self) {
                    try await importer.importArchives(at: directory.appendingPathComponent("nope").path, market: .futures)
                }
                #expect(missing?.code == .notFound)
            }
        }
    }

    @Test func brokenArchivesFailClearlyAndKeepEarlierFiles() async throws {
        let lines = try LinkArchive.lines(days: 1)
        try await withTemporaryDirectory { directory in
            // Name order: AAA imports, then BBB's bad line stops the folder.
            try LinkArchive.file(Array(lines.prefix(10))).write(
                to: directory.appendingPathComponent("AAAUSDT-1m-2026-02-01.csv"), atomically: true, encoding: .utf8)
            var bad = Array(lines.prefix(10))
            bad[6][4] = "1.2.3"
            try LinkArchive.file(bad).write(to: directory.appendingPathComponent("BBBUSDT-1m-2026-02-01.csv"), atomically: true, encoding: .utf8)
            var zip = storedZip(name: "CCCUSDT-1m-2026-02-01.csv", content: Array(LinkArchive.file(Array(lines.prefix(10))).utf8))
            zip[60] ^= 0xFF  // inside the entry's data: the CRC no longer matches
            let corrupt = directory.appendingPathComponent("corrupt")
            try FileManager.default.createDirectory(at: corrupt, withIntermediateDirectories: true)
            try Data(zip).write(to: corrupt.appendingPathComponent("CCCUSDT-1m-2026-02-01.zip"))
            try Data("PK not a zip".utf8).write(to: corrupt.appendingPathComponent("DDDUSDT-1m-2026-02-01.zip"))

            try await withStore { store async throws in
                let importer = ArchiveImporter(store: store)
                let malformed = await #expect(throws: CandleStoreError.self) {
                    try await importer.importArchives(at: directory.path, market: .futures)
                }
                #expect(malformed?.code == .malformedRow)
                #expect(malformed?.lineNumber == 8, "header is line 1, the 7th data row line 8")
                #expect(malformed?.path?.hasSuffix("BBBUSDT-1m-2026-02-01.csv") == true)
                #expect(malformed?.description.contains("close") == true)
                #expect(try await store.count(market: .futures, symbol: "AAAUSDT", interval: .oneMinute) == 10)
                #expect(try await store.count(market: .futures, symbol: "BBBUSDT", interval: .oneMinute) == 0)

                for name in ["CCCUSDT-1m-2026-02-01.zip", "DDDUSDT-1m-2026-02-01.zip"] {
                    let error = await #expect(throws: CandleStoreError.self) {
                        try await importer.importFile(corrupt.appendingPathComponent(name).path, market: .futures)
                    }
                    #expect(error?.code == .badZip, "\(name)")
                }
            }
        }
    }
}
