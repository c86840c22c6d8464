extension Indicators {
    /// Simple moving average fed one value at a time; its values equal ``Indicators/sma(_:period:)``.
    ///
    /// Keeps the window in a ring buffer allocated once.
    public struct SMA: Sendable {
        public let period: Int
        /// The current average; NaN until `period` values have been seen.
        public private(set) var value: Double = .nan
        private var window: [Double]
        private var next = 0
        private var seen = 0
        private var total = 0.0

        public init(period: Int) {
            precondition(period >= 1, "SMA period must be at least 1")
            self.period = period
            window = [Double](repeating: 0, count: period)
        }

        /// Whether `value` is defined.
        public var isReady: Bool { seen >= period }

        /// Adds the next value and returns the average (NaN during the warm-up).
        @discardableResult
        public mutating func update(_ x: Double) -> Double {
            // Same operations in the same order as the batch function's running sum.
            total += x
            window[next] = x
            next = next + 1 == period ? 0 : next + 1
            seen += 1
            if seen >= period {
                value = total / Double(period)
                // `next` now points at the oldest value of the window just averaged.
                total -= window[next]
            }
            return value
        }
    }
}
