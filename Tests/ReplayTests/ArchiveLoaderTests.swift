import Archive
import Foundation
import Testing
import TestSupport
@testable import Replay

/// The real futures archive fixtures, loaded once and shared by the suites.
enum ArchiveFixture {
    static let symbols = Fixtures.futuresSymbols

    static func futures() async throws -> MarketData { try await SharedFixture.futures() }

    /// The CSV's data lines split into fields, parsed independently of the loader.
    static func lines(_ symbol: String) throws -> [[Substring]] {
        let text = try Fixtures.futuresMonth(symbol)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("replay-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite struct ArchiveLoaderTests {
    /// Binance's archives write an empty minute's volumes as a bare "0"; everything else is fixed-width.
    private func matches(_ served: String, _ archived: Substring) -> Bool {
        if archived == "0" { return served.allSatisfy { $0 == "0" || $0 == "." } }
        return served == archived
    }

    @Test func everyLoadedRowEqualsTheCSVFieldsTextually() async throws {
        let data = try await ArchiveFixture.futures()
        #expect(data.symbols.map(\.symbol) == ArchiveFixture.symbols)
        for symbol in ArchiveFixture.symbols {
            let lines = try ArchiveFixture.lines(symbol)
            #expect(lines.count == 40_320)
            #expect(data.rows(symbol)?.count == lines.count)
            var mismatches = 0
            for fields in lines {
                guard fields.count == 12, let openTime = Int64(fields[0]),
                      let kline = data.closedKline(symbol: symbol, openTime: openTime) else {
                    mismatches += 1
                    continue
                }
                let served = [kline.open, kline.high, kline.low, kline.close, kline.volume, String(kline.closeTime), kline.quoteVolume,
                              String(kline.trades), kline.takerBuyVolume, kline.takerBuyQuoteVolume]
                if !zip(served, fields[1...10]).allSatisfy({ matches($0, $1) }) || !kline.isClosed {
                    mismatches += 1
                    if mismatches < 4 { Issue.record("\(symbol) \(openTime): served \(served), archive \(fields[1...10])") }
                }
            }
            #expect(mismatches == 0, "\(symbol)")
        }
    }

    @Test func symbolInfoComesFromTheNameAndTheDecimals() async throws {
        let data = try await ArchiveFixture.futures()
        let algo = try #require(data.info("ALGOUSDT"))
        #expect(algo.baseAsset == "ALGO" && algo.quoteAsset == "USDT" && algo.status == "TRADING")
        #expect(algo.contractType == "PERPETUAL")
        #expect(algo.scales == KlineScales(price: 4, volume: 1, quote: 5))
        #expect(algo.tickSize == "0.0001" && algo.stepSize == "0.1")
        #expect(data.info("LTCUSDT")?.tickSize == "0.01")
        #expect(data.info("LTCUSDT")?.stepSize == "0.001")
        #expect(data.firstOpenTime == Int64(1_769_904_000_000))
        #expect(data.lastOpenTime == Int64(1_772_323_140_000), "2026-02-28 23:59 UTC")
        let spot = ArchiveLoader.symbolInfo(
            for: .init(symbol: "ETHFDUSD", scales: .init(price: 8, volume: 8, quote: 8), rows: [], priceTickUnits: 1_000_000,
                       volumeStepUnits: 10_000),
            market: .spot)
        #expect(spot.baseAsset == "ETH" && spot.quoteAsset == "FDUSD" && spot.contractType.isEmpty)
        #expect(spot.tickSize == "0.01000000" && spot.stepSize == "0.00010000", "Binance spot prints filters at 8 decimals")
    }

    @Test func headerlessMicrosecondAndZipVariantsLoadIdentically() throws {
        let directory = try ArchiveFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try Fixtures.futuresMonth("ALGOUSDT")
        let lines = text.split(separator: "\n").prefix(3_001).map(String.init)  // header + a bit over 2 days
        let name = "ALGOUSDT-1m-2026-02.csv"
        func write(_ folder: String, _ content: [String]) throws -> URL {
            let url = directory.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try (content.joined(separator: "\n") + "\n").write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
            return url
        }
        let plain = try write("plain", lines)
        _ = try write("headerless", Array(lines.dropFirst()))
        _ = try write("micros", lines.dropFirst().map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[0] += "000"
            fields[6] += "999"
            return fields.joined(separator: ",")
        })
        let crlf = directory.appendingPathComponent("crlf")
        try FileManager.default.createDirectory(at: crlf, withIntermediateDirectories: true)
        try lines.map { $0 + "\r\n" }.joined().write(to: crlf.appendingPathComponent(name), atomically: true, encoding: .utf8)
        for (folder, method) in [("deflated", "ZIP_DEFLATED"), ("stored", "ZIP_STORED")] {
            let url = directory.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.\(method)) as z: z.write(sys.argv[1], 'ALGOUSDT-1m-2026-02.csv')"
            let result = try runCommand(["python3", "-c", script, plain.appendingPathComponent(name).path,
                                         url.appendingPathComponent("ALGOUSDT-1m-2026-02.zip").path])
            try #require(result.status == 0, "python3 zipfile: \(result.output)")
        }
        let reference = try ArchiveLoader.load(paths: [plain.path])
        #expect(reference.count == 1)
        #expect(reference.first?.rows.count == 3_000)
        #expect(reference.first?.rows.first?.openTime == 1_769_904_000_000)
        for folder in ["headerless", "micros", "crlf", "deflated", "stored"] {
            let variant = try ArchiveLoader.load(paths: [directory.appendingPathComponent(folder).path])
            #expect(variant.first?.rows == reference.first?.rows, "\(folder)")
            #expect(variant.first?.scales == reference.first?.scales, "\(folder)")
        }
        // A single file path works as well as its folder.
        let single = try ArchiveLoader.load(paths: [directory.appendingPathComponent("deflated/ALGOUSDT-1m-2026-02.zip").path])
        #expect(single.first?.rows == reference.first?.rows)
    }

    @Test func dailyFilesMergeSortedWithoutDuplicatesAndUnifyDecimals() throws {
        let directory = try ArchiveFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Day 2 first on purpose; the 00:00 minute of day 2 also appears at the end of day 1 with other values.
        let day2 = "1769990400000,2.5,2.6,2.4,2.55,10,1769990459999,25.5,3,4,10.2,0\n1769990460000,2.55,2.55,2.55,2.55,0,1769990519999,0,0,0,0,0\n"
        let day1 = "1769990340000,2.12345,2.2,2.1,2.2,1.25,1769990399999,2.6,2,1,2.2,0\n1769990400000,9,9,9,9,9,1769990459999,9,9,9,9,0\n"
        try day2.write(to: directory.appendingPathComponent("XYZUSDT-1m-2026-02-02.csv"), atomically: true, encoding: .utf8)
        try day1.write(to: directory.appendingPathComponent("XYZUSDT-1m-2026-02-01.csv"), atomically: true, encoding: .utf8)
        try "not an archive".write(to: directory.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        let data = try MarketData.load(market: .spot, directories: [directory.path])
        #expect(data.rows("XYZUSDT")?.map(\.openTime) == [1_769_990_340_000, 1_769_990_400_000, 1_769_990_460_000])
        #expect(data.info("XYZUSDT")?.scales == KlineScales(price: 5, volume: 2, quote: 1))
        let first = try #require(data.closedKline(symbol: "XYZUSDT", openTime: 1_769_990_340_000))
        #expect([first.open, first.high, first.volume, first.quoteVolume] == ["2.12345", "2.20000", "1.25", "2.6"])
        let kept = try #require(data.closedKline(symbol: "XYZUSDT", openTime: 1_769_990_400_000))
        #expect(kept.open == "9.00000", "the first file in name order (day 1) wins a repeated minute")
        #expect(data.info("XYZUSDT")?.tickSize == "0.00001")
        #expect(data.info("XYZUSDT")?.isSpotTradingAllowed == true)
    }

    @Test func malformedLinesAreErrorsNamingFileAndLine() throws {
        let directory = try ArchiveFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = "1769990400000,2.5,2.6,2.4,2.55,10,1769990459999,25.5,3,4,10.2,0"
        let cases: [(String, Int, String)] = [
            ("open_time,open\n\(good)\n1769990460000,2.5,2.6\n", 3, "expected 12 columns"),
            ("\(good)\n\(good.replacingOccurrences(of: "2.6", with: "2,6x"))\n", 2, "expected 12 columns"),
            ("\(good)\n\n1769990460000,2.5,abc,2.4,2.55,10,1769990459999,25.5,3,4,10.2,0\n", 3, "high is not a decimal"),
            ("\(good)\n1769990460000,2.5,2.6,2.4,2.55,-10,1769990459999,25.5,3,4,10.2,0\n", 2, "volume is not a decimal"),
            ("\(good)\n176999046000000,2.5,2.6,2.4,2.55,10,1769990459999,25.5,3,4,10.2,0\n", 2, "neither milliseconds"),
            ("1769990460001,2.5,2.6,2.4,2.55,10,1769990459999,25.5,3,4,10.2,0\n", 1, "minute boundary"),
            ("\(good)\nopen_time,open,high,low,close,volume,close_time,quote_volume,count,a,b,c\n", 2, "open_time is not an integer"),
        ]
        for (index, (content, line, detail)) in cases.enumerated() {
            let path = directory.appendingPathComponent("BAD\(index)USDT-1m-2026-02.csv").path
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try ArchiveLoader.load(paths: [path])
                Issue.record("case \(index) loaded")
            } catch let error as ArchiveError {
                #expect(error.code == .malformedLine, "case \(index)")
                #expect(error.line == line, "case \(index): \(error)")
                #expect(error.description.hasPrefix("\(path) line \(line): "), "case \(index): \(error)")
                #expect(error.detail.contains(detail), "case \(index): \(error)")
            }
        }
    }

    @Test func unusableFilesAndFoldersAreErrors() throws {
        let directory = try ArchiveFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func code(_ paths: [String]) -> ArchiveError.Code? {
            do { _ = try ArchiveLoader.load(paths: paths); return nil } catch { return (error as? ArchiveError)?.code }
        }
        #expect(code([directory.path]) == .noArchives)
        #expect(code([directory.appendingPathComponent("missing").path]) == .notFound)
        let wrongName = directory.appendingPathComponent("prices.csv").path
        try "x".write(toFile: wrongName, atomically: true, encoding: .utf8)
        #expect(code([wrongName]) == .badName)
        let garbageZip = directory.appendingPathComponent("ABCUSDT-1m-2026-02.zip").path
        try "PK not really a zip".write(toFile: garbageZip, atomically: true, encoding: .utf8)
        #expect(code([garbageZip]) == .badZip)
        let headerOnly = directory.appendingPathComponent("EMPTYUSDT-1m-2026-02-01.csv").path
        try "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n"
            .write(toFile: headerOnly, atomically: true, encoding: .utf8)
        #expect(code([headerOnly]) == .empty)
    }

    @Test func zipReaderRejectsACorruptedEntry() throws {
        let directory = try ArchiveFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let zipPath = directory.appendingPathComponent("a.zip").path
        let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z: z.writestr('X-1m-2026-02.csv', 'hello world')"
        try #require(try runCommand(["python3", "-c", script, zipPath]).status == 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: zipPath)))
        let zip = try ZipArchive(bytes: bytes)
        #expect(zip.entries.map(\.name) == ["X-1m-2026-02.csv"])
        #expect(try zip.extract(zip.entries[0]) == Array("hello world".utf8))
        // Flip one byte of the stored content: the CRC check catches it.
        let dataStart = 30 + "X-1m-2026-02.csv".utf8.count
        bytes[dataStart] ^= 0xFF
        let corrupted = try ZipArchive(bytes: bytes)
        #expect(throws: ZipArchive.Failure.self) { try corrupted.extract(corrupted.entries[0]) }
    }
}
