import Archive
import Foundation
import Synchronization

/// Loads data.binance.vision 1m kline archives: files named `SYMBOL-1m-YYYY-MM.csv` or
/// `SYMBOL-1m-YYYY-MM-DD.csv`, plain or zipped, with or without a header row, with millisecond or
/// microsecond timestamps. Decimals are kept exactly: each symbol gets one scale per field group
/// (prices, base volumes, quote volumes) — the most decimals seen — so fixed-width files print back
/// as they were read. Files of one symbol merge by open time; a repeated open time keeps the row of
/// the first file in name order.
public enum ArchiveLoader {
    /// One symbol's 1m history, sorted by open time without duplicates.
    public struct Series: Sendable {
        public var symbol: String
        public var scales: KlineScales
        public var rows: [Kline]
        /// The price step the data shows, in price units (largest power of ten dividing every price).
        public var priceTickUnits: Int64
        /// The quantity step the data shows, in volume units.
        public var volumeStepUnits: Int64
    }

    /// A recognised archive file name.
    struct ArchiveFile: Sendable, Hashable {
        var path: String
        var symbol: String
        var isZip: Bool
    }

    /// Loads every archive in `paths` (directories, read non-recursively, or single files).
    /// - Returns: one series per symbol, sorted by symbol.
    /// - Throws: `ArchiveError` naming the file (and line) that could not be used.
    public static func load(paths: [String]) throws -> [Series] {
        var files: [ArchiveFile] = []
        for path in paths { files += try archiveFiles(at: path) }
        var seen = Set<String>()
        var grouped: [String: [ArchiveFile]] = [:]
        for file in files where seen.insert(file.path).inserted { grouped[file.symbol, default: []].append(file) }
        let bySymbol = grouped
        let symbols = bySymbol.keys.sorted()
        // One symbol at a time per core: its raw rows are dropped as soon as its series is built.
        let results = Mutex<[Int: Result<Series, ArchiveError>]>([:])
        DispatchQueue.concurrentPerform(iterations: symbols.count) { index in
            let symbol = symbols[index]
            let result: Result<Series, ArchiveError>
            do {
                let parsed = try (bySymbol[symbol] ?? []).map(parseFile)
                result = .success(try merge(symbol: symbol, files: parsed))
            } catch let error as ArchiveError {
                result = .failure(error)
            } catch {
                result = .failure(ArchiveError(code: .unreadable, file: symbol, detail: "\(error)"))
            }
            results.withLock { $0[index] = result }
        }
        let collected = results.withLock { $0 }
        return try symbols.indices.map { index in
            switch collected[index] {
            case .success(let series): return series
            case .failure(let error): throw error
            case nil: throw ArchiveError(code: .unreadable, file: symbols[index], detail: "not loaded")
            }
        }
    }

    /// The archive files at `path`: the matching files of a directory (sorted by name), or the file itself.
    static func archiveFiles(at path: String) throws -> [ArchiveFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArchiveError(code: .notFound, file: path, detail: "no such file or directory")
        }
        guard isDirectory.boolValue else {
            let name = (path as NSString).lastPathComponent
            guard let file = archiveFile(named: name, in: (path as NSString).deletingLastPathComponent) else {
                throw ArchiveError(code: .badName, file: path, detail: "expected a name like BTCUSDT-1m-2026-02.csv or BTCUSDT-1m-2026-02-01.zip")
            }
            return [ArchiveFile(path: path, symbol: file.symbol, isZip: file.isZip)]
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ArchiveError(code: .unreadable, file: path, detail: "cannot list directory (\(error.localizedDescription))")
        }
        let files = names.sorted().compactMap { archiveFile(named: $0, in: path) }
        guard !files.isEmpty else {
            throw ArchiveError(code: .noArchives, file: path, detail: "no 1m kline archives (SYMBOL-1m-YYYY-MM[-DD].csv or .zip)")
        }
        return files
    }

    /// Recognises `SYMBOL-1m-YYYY-MM[-DD].csv|.zip`; nil for anything else.
    static func archiveFile(named name: String, in directory: String) -> ArchiveFile? {
        let isZip: Bool
        let stem: Substring
        if name.hasSuffix(".zip") {
            isZip = true
            stem = name.dropLast(4)
        } else if name.hasSuffix(".csv") {
            isZip = false
            stem = name.dropLast(4)
        } else {
            return nil
        }
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4 || parts.count == 5, parts[1] == "1m" else { return nil }
        let symbol = parts[0]
        guard (1...40).contains(symbol.count),
              symbol.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }) else { return nil }
        let widths = [4, 2, 2]
        for (part, width) in zip(parts.dropFirst(2), widths) {
            guard part.utf8.count == width, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        }
        let path = directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
        return ArchiveFile(path: path, symbol: String(symbol), isZip: isZip)
    }

    private static func parseFile(_ file: ArchiveFile) throws -> ParsedFile {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ArchiveError(code: .unreadable, file: file.path, detail: "cannot read file")
        }
        var bytes = [UInt8](data)
        if file.isZip {
            do throws(ZipArchive.Failure) {
                bytes = try ZipArchive(bytes: bytes).onlyCSV()
            } catch {
                throw ArchiveError(code: .badZip, file: file.path, detail: error.description)
            }
        }
        let rows = try parseCSV(bytes, file: file.path)
        guard !rows.isEmpty else { throw ArchiveError(code: .empty, file: file.path, detail: "no kline rows") }
        return ParsedFile(path: file.path, symbol: file.symbol, rows: rows)
    }

    /// Brings one symbol's files to common scales and merges them by open time.
    private static func merge(symbol: String, files: [ParsedFile]) throws -> Series {
        var maxima = SIMD8<UInt8>(repeating: 0)
        for file in files {
            for row in file.rows { maxima = pointwiseMax(maxima, row.decimals) }
        }
        let scales = KlineScales(
            price: Int(max(maxima[0], maxima[1], maxima[2], maxima[3])),
            volume: Int(max(maxima[4], maxima[6])),
            quote: Int(max(maxima[5], maxima[7]))
        )
        let target = SIMD8<UInt8>(
            UInt8(scales.price), UInt8(scales.price), UInt8(scales.price), UInt8(scales.price),
            UInt8(scales.volume), UInt8(scales.quote), UInt8(scales.volume), UInt8(scales.quote)
        )
        var rows: [Kline] = []
        rows.reserveCapacity(files.reduce(0) { $0 + $1.rows.count })
        var priceZeros = scales.price
        var volumeZeros = scales.volume
        for file in files {
            for raw in file.rows {
                guard let row = raw.rescaled(to: target) else {
                    throw ArchiveError(code: .outOfRange, file: file.path, line: Int(raw.line),
                                       detail: "a value does not fit with \(symbol)'s decimals \(scales)")
                }
                priceZeros = min(priceZeros, trailingZeros(row.open, upTo: priceZeros), trailingZeros(row.high, upTo: priceZeros),
                                 trailingZeros(row.low, upTo: priceZeros), trailingZeros(row.close, upTo: priceZeros))
                volumeZeros = min(volumeZeros, trailingZeros(row.volume, upTo: volumeZeros))
                rows.append(row)
            }
        }
        if !isSortedStrictly(rows) {
            // Stable, so the first file's row (files are in name order) comes first and wins.
            let ordered = rows.enumerated().sorted { ($0.element.openTime, $0.offset) < ($1.element.openTime, $1.offset) }
            rows.removeAll(keepingCapacity: true)
            for (_, row) in ordered where rows.last?.openTime != row.openTime { rows.append(row) }
        }
        return Series(symbol: symbol, scales: scales, rows: rows,
                      priceTickUnits: power10(priceZeros), volumeStepUnits: power10(volumeZeros))
    }

    private static func isSortedStrictly(_ rows: [Kline]) -> Bool {
        var previous = Int64.min
        for row in rows {
            guard row.openTime > previous else { return false }
            previous = row.openTime
        }
        return true
    }

    /// How many trailing decimal zeros `units` has, at most `limit` (zero counts as `limit`).
    private static func trailingZeros(_ units: Int64, upTo limit: Int) -> Int {
        guard units != 0 else { return limit }
        var count = 0
        var value = units
        while count < limit, value % 10 == 0 {
            value /= 10
            count += 1
        }
        return count
    }
}

/// One parsed file before its symbol's scales are known.
struct ParsedFile: Sendable {
    var path: String
    var symbol: String
    var rows: [RawKline]
}

/// 10^exponent for 0...18.
func power10(_ exponent: Int) -> Int64 {
    var result: Int64 = 1
    for _ in 0..<exponent { result &*= 10 }
    return result
}
