import Archive
import Foundation

/// The real Binance data the tests read, all inside the checkout (Tests/Fixtures/README.md):
/// the month of futures klines, as Binance's own zips, that the offline replay demo serves too,
/// and raw WebSocket frames.
public enum Fixtures {
    /// The checkout's root: this file is Tests/TestSupport/Fixtures.swift inside it.
    public static let checkout = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The symbols of the futures month.
    public static let futuresSymbols = ["ALGOUSDT", "AVAXUSDT", "DOTUSDT", "FILUSDT", "LINKUSDT", "LTCUSDT", "NEARUSDT"]

    /// One month (2026-02) of real 1m klines for 7 USDT-M perpetuals, as data.binance.vision's
    /// monthly archives: `SYMBOL-1m-2026-02.zip`, each holding `SYMBOL-1m-2026-02.csv` (with header).
    public static var futuresKlines: String { checkout + "/deploy/replay-data/futures" }
    /// Raw WebSocket frames as Binance sent them (`*.kline.jsonl`, `*.aggTrade.jsonl`).
    public static var frames: String { checkout + "/Tests/Fixtures/binance/frames" }

    /// The path of `symbol`'s month archive (a zip).
    public static func futuresArchive(_ symbol: String) -> String { futuresKlines + "/\(symbol)-1m-2026-02.zip" }

    /// The text of `symbol`'s month CSV, extracted from its zip with the Archive module.
    /// - Throws: `Unreadable` naming the archive when it is missing or corrupt.
    public static func futuresMonth(_ symbol: String) throws -> String {
        let path = futuresArchive(symbol)
        do {
            return String(decoding: try ZipArchive.csvBytes(atPath: path), as: UTF8.self)
        } catch {
            throw Unreadable(description: "\(path): \(error)")
        }
    }

    /// A fixture that cannot be read.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }
}
