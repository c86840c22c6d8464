/// A confirmed swing high or low: a local extreme of the price, and the bar at which it became
/// known.
///
/// A swing is only known some bars after its extreme, so a caller analysing bar `t` must use
/// only the swings with `confirmedAt <= t`; anything else would look into the future.
public struct SwingPoint: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case high
        case low
    }

    public var kind: Kind
    /// Index of the bar holding the extreme.
    public var index: Int
    /// The extreme: the bar's high for a swing high, its low for a swing low.
    public var price: Double
    /// Index of the first bar at which the swing is confirmed (never before `index`).
    public var confirmedAt: Int

    public init(kind: Kind, index: Int, price: Double, confirmedAt: Int) {
        self.kind = kind
        self.index = index
        self.price = price
        self.confirmedAt = confirmedAt
    }
}

extension Array where Element == SwingPoint {
    /// The swings known at bar `index`: those confirmed at or before it.
    public func confirmed(asOf index: Int) -> [SwingPoint] {
        filter { $0.confirmedAt <= index }
    }
}
