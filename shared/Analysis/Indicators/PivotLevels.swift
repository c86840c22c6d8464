/// Floor-trader pivot levels derived from one period's high, low and close.
public struct PivotLevels: Sendable, Hashable, Codable {
    /// How the support and resistance levels are spaced around the pivot.
    public enum Method: String, Sendable, Hashable, Codable {
        /// R1 = 2P − L, S1 = 2P − H, R2/S2 = P ± (H − L), R3 = H + 2(P − L), S3 = L − 2(H − P).
        case classic
        /// R/S n = P ± (0.382, 0.618, 1.0) × (H − L).
        case fibonacci
    }

    /// P = (H + L + C) / 3.
    public var pivot: Double
    public var r1: Double
    public var r2: Double
    public var r3: Double
    public var s1: Double
    public var s2: Double
    public var s3: Double

    public init(pivot: Double, r1: Double, r2: Double, r3: Double, s1: Double, s2: Double, s3: Double) {
        self.pivot = pivot
        self.r1 = r1
        self.r2 = r2
        self.r3 = r3
        self.s1 = s1
        self.s2 = s2
        self.s3 = s3
    }

    /// The levels for the period that had this high, low and close.
    public init(high: Double, low: Double, close: Double, method: Method = .classic) {
        let p = (high + low + close) / 3
        let range = high - low
        switch method {
        case .classic:
            self.init(
                pivot: p, r1: 2 * p - low, r2: p + range, r3: high + 2 * (p - low),
                s1: 2 * p - high, s2: p - range, s3: low - 2 * (high - p)
            )
        case .fibonacci:
            self.init(
                pivot: p, r1: p + 0.382 * range, r2: p + 0.618 * range, r3: p + range,
                s1: p - 0.382 * range, s2: p - 0.618 * range, s3: p - range
            )
        }
    }
}
