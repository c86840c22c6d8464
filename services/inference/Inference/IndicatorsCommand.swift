import Analysis
import ArgumentParser
import Core
import Foundation

/// `alphapulse-inference indicators --klines FILE [--out FILE]`.
public struct IndicatorsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Compute indicators over a data.binance.vision kline file (.csv or .zip) and write them as CSV.",
        discussion: """
            Columns: open_time (ms), sma20, ema20, rsi14, macd, macd_signal, macd_hist (12/26/9), bb_upper, bb_middle, \
            bb_lower (20, 2σ population), atr14 (Wilder), obv. Cells are empty during an indicator's warm-up. Values agree \
            with TA-Lib to 1e-9 relative.
            """
    )

    @Option(help: ArgumentHelp("A kline CSV, or Binance's .zip of one (any interval).", valueName: "file"))
    var klines: String

    @Option(help: ArgumentHelp("Where to write the CSV (default: standard output).", valueName: "file"))
    var out: String?

    public init() {}

    public func run() throws {
        let text = try KlineFiles.text(klines)
        let parts = KlineCSV.nameParts(klines)
        let candles: [Candle]
        do {
            candles = try KlineCSV.parse(text, market: .futures, symbol: parts?.symbol ?? "", interval: parts?.interval ?? .oneMinute)
        } catch {
            throw ValidationError("\(klines): \(error)")
        }
        let csv = Self.csv(candles)
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: Data(csv.utf8)) else {
                throw ValidationError("cannot write \(out)")
            }
        } else {
            FileHandle.standardOutput.write(Data(csv.utf8))
        }
    }

    static let header = "open_time,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr14,obv"

    /// The indicator table for `candles` (oldest first).
    static func csv(_ candles: [Candle]) -> String {
        let columns = CandleColumns(candles)
        let macd = Indicators.macd(columns.close)
        let bands = Indicators.bollinger(columns.close)
        let series: [[Double]] = [
            Indicators.sma(columns.close, period: 20), Indicators.ema(columns.close, period: 20), Indicators.rsi(columns.close),
            macd.macd, macd.signal, macd.histogram, bands.upper, bands.middle, bands.lower,
            Indicators.atr(high: columns.high, low: columns.low, close: columns.close), Indicators.obv(close: columns.close, volume: columns.volume),
        ]
        var text = header + "\n"
        text.reserveCapacity(candles.count * 180)
        for index in candles.indices {
            text += String(columns.openTime[index])
            for values in series {
                text += ","
                let value = values[index]
                if value.isFinite { text += "\(value)" }
            }
            text += "\n"
        }
        return text
    }
}
