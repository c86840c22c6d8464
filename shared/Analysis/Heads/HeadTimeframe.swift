import Core

/// A timeframe a head reads and its weight in the head's result.
public struct HeadTimeframe: Sendable, Hashable {
    public var interval: CandleInterval
    public var weight: Double

    public init(_ interval: CandleInterval, weight: Double) {
        self.interval = interval
        self.weight = weight
    }
}
