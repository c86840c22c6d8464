import Core

/// The columns of a candle array, extracted once so that several indicators can share them.
public struct CandleColumns: Sendable {
    /// Open times, Unix milliseconds (UTC).
    public var openTime: [Int64]
    public var open: [Double]
    public var high: [Double]
    public var low: [Double]
    public var close: [Double]
    /// Volume in the base asset.
    public var volume: [Double]

    /// Splits `candles` (oldest first) into columns.
    public init(_ candles: [Candle]) {
        let count = candles.count
        openTime = []
        open = []
        high = []
        low = []
        close = []
        volume = []
        openTime.reserveCapacity(count)
        open.reserveCapacity(count)
        high.reserveCapacity(count)
        low.reserveCapacity(count)
        close.reserveCapacity(count)
        volume.reserveCapacity(count)
        for candle in candles {
            openTime.append(candle.openTime)
            open.append(candle.open)
            high.append(candle.high)
            low.append(candle.low)
            close.append(candle.close)
            volume.append(candle.volume)
        }
    }

    /// The number of candles.
    public var count: Int { close.count }
}
