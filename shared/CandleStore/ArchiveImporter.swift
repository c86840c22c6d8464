import Archive
import Core
import Foundation
import Logging

/// Imports data.binance.vision kline archives into the candle store: a single `.csv` or `.zip`
/// (holding one `.csv`), or a folder of them (read non-recursively, in name order).
///
/// Symbol and interval come from the file name (`LINKUSDT-1m-2026-02.csv`). Only 1m archives
/// are imported — every other interval is derived from 1m. Naming a non-1m file (or a file with
/// a bad name) directly is an error; inside a folder such files are skipped and reported in the
/// result with the reason, and files that are not `.csv`/`.zip` (`.CHECKSUM`…) are ignored.
/// Rows keep their exact decimal text and go through `CandleStore.upsert` in batches with
/// source `import`, so rollups follow and importing the same archive again changes nothing.
public struct ArchiveImporter: Sendable {
    public let store: CandleStore
    /// 1m rows per `upsert` transaction.
    public let batchSize: Int
    let logger: Logger

    public init(store: CandleStore, batchSize: Int = 5_000, logger: Logger = Logger(label: "alphapulse.candles.import")) {
        precondition(batchSize > 0, "batchSize must be positive")
        self.store = store
        self.batchSize = batchSize
        self.logger = logger
    }

    /// What happened to one archive file.
    public struct FileResult: Sendable, Hashable {
        public var path: String
        /// Nil when the name could not be read.
        public var symbol: String?
        /// 1m rows read from the file.
        public var rows: Int
        /// What storing them changed (summed over the batches).
        public var upsert: CandleStore.UpsertResult
        /// Why the file was not imported (folder imports only); nil when it was.
        public var skipped: String?
    }

    /// Imports `path`, a file or a folder, as candles of `market` (archives do not say which).
    /// - Returns: one result per `.csv`/`.zip` file, in name order.
    /// - Throws: `CandleStoreError` — `.notFound`; for a named file `.badName` or
    ///   `.unsupportedInterval`; `.badZip`, `.malformedRow` (with path and line), `.unreadable`
    ///   for a file that cannot be used (files before it in the folder stay imported);
    ///   `PostgresError` when a batch cannot be stored.
    public func importArchives(at path: String, market: Market) async throws -> [FileResult] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CandleStoreError(.notFound, "no such file or directory", path: path)
        }
        guard isDirectory.boolValue else { return [try await importFile(path, market: market)] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw CandleStoreError(.unreadable, "cannot list the folder: \(error.localizedDescription)", path: path)
        }
        var results: [FileResult] = []
        for name in names where name.hasSuffix(".csv") || name.hasSuffix(".zip") {
            let file = (path as NSString).appendingPathComponent(name)
            guard let parts = KlineCSV.nameParts(name) else {
                results.append(skip(file, symbol: nil, "the name is not SYMBOL-INTERVAL-DATE.csv or .zip"))
                continue
            }
            guard parts.interval == .oneMinute else {
                results.append(skip(file, symbol: parts.symbol, "a \(parts.interval.rawValue) archive: only 1m is imported, the rest is derived"))
                continue
            }
            results.append(try await importFile(file, market: market))
        }
        return results
    }

    /// Imports one `.csv` or `.zip` archive.
    /// - Throws: as `importArchives(at:market:)`; a non-1m or badly named file is an error here.
    public func importFile(_ path: String, market: Market) async throws -> FileResult {
        guard let parts = KlineCSV.nameParts(path), path.hasSuffix(".csv") || path.hasSuffix(".zip") else {
            throw CandleStoreError(.badName, "expected a name like BTCUSDT-1m-2026-02.csv or BTCUSDT-1m-2026-02-01.zip", path: path)
        }
        guard parts.interval == .oneMinute else {
            throw CandleStoreError(.unsupportedInterval, "only 1m archives are imported (\(parts.interval.rawValue) is derived from 1m)", path: path)
        }
        let rows: [CandleRow]
        let bytes = try Self.csvBytes(path)
        do throws(KlineCSV.ParseError) {
            rows = try KlineCSV.rows(bytes, market: market, symbol: parts.symbol, source: .import)
        } catch {
            throw CandleStoreError(.malformedRow, error.message, path: path, lineNumber: error.line)
        }
        var result = FileResult(path: path, symbol: parts.symbol, rows: rows.count, upsert: CandleStore.UpsertResult(), skipped: nil)
        var start = 0
        while start < rows.count {
            let end = min(start + batchSize, rows.count)
            result.upsert.add(try await store.upsert(Array(rows[start..<end])))
            start = end
        }
        logger.info("imported archive", metadata: [
            "path": "\(path)", "symbol": "\(parts.symbol)", "db.rows": "\(rows.count)", "candles.changed": "\(result.upsert.changed)",
        ])
        return result
    }

    private func skip(_ path: String, symbol: String?, _ reason: String) -> FileResult {
        logger.info("skipped archive", metadata: ["path": "\(path)", "reason": "\(reason)"])
        return FileResult(path: path, symbol: symbol, rows: 0, upsert: CandleStore.UpsertResult(), skipped: reason)
    }

    /// The CSV bytes of a `.csv` file or of the single `.csv` inside a `.zip`.
    static func csvBytes(_ path: String) throws(CandleStoreError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CandleStoreError(.unreadable, "cannot read the file: \(error.localizedDescription)", path: path)
        }
        guard path.hasSuffix(".zip") else { return bytes }
        do throws(ZipArchive.Failure) {
            return try ZipArchive(bytes: bytes).onlyCSV()
        } catch {
            throw CandleStoreError(.badZip, error.description, path: path)
        }
    }
}
