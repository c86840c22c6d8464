extension Indicators {
    /// Exponential moving average fed one value at a time; its values equal
    /// ``Indicators/ema(_:period:)`` (seeded with the SMA of the first `period` values).
    public struct EMA: Sendable {
        public let period: Int
        /// The current average; NaN until `period` values have been seen.
        public private(set) var value: Double = .nan
        private let k: Double
        private var seen = 0
        private var total = 0.0

        public init(period: Int) {
            precondition(period >= 1, "EMA period must be at least 1")
            self.period = period
            k = Indicators.smoothing(period)
        }

        /// Whether `value` is defined.
        public var isReady: Bool { seen >= period }

        /// Adds the next value and returns the average (NaN during the warm-up).
        @discardableResult
        public mutating func update(_ x: Double) -> Double {
            seen += 1
            if seen < period {
                total += x
            } else if seen == period {
                total += x
                value = total / Double(period)
            } else {
                value = ((x - value) * k) + value
            }
            return value
        }
    }
}
