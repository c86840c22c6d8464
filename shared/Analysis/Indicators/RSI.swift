extension Indicators {
    /// Wilder's RSI fed one value at a time; its values equal ``Indicators/rsi(_:period:)``.
    public struct RSI: Sendable {
        public let period: Int
        /// The current RSI, 0...100; NaN until `period + 1` values have been seen.
        public private(set) var value: Double = .nan
        private var previous = 0.0
        private var started = false
        private var changes = 0
        private var gain = 0.0
        private var loss = 0.0

        public init(period: Int = 14) {
            precondition(period >= 2, "RSI period must be at least 2")
            self.period = period
        }

        /// Whether `value` is defined.
        public var isReady: Bool { changes >= period }

        /// Adds the next value and returns the RSI (NaN during the warm-up).
        @discardableResult
        public mutating func update(_ x: Double) -> Double {
            defer { previous = x }
            guard started else {
                started = true
                return value
            }
            let change = x - previous
            let length = Double(period)
            changes += 1
            if changes <= period {
                if change < 0 { loss -= change } else { gain += change }
                if changes == period {
                    gain /= length
                    loss /= length
                    value = Indicators.rsiValue(gain: gain, loss: loss)
                }
            } else {
                loss *= length - 1
                gain *= length - 1
                if change < 0 { loss -= change } else { gain += change }
                loss /= length
                gain /= length
                value = Indicators.rsiValue(gain: gain, loss: loss)
            }
            return value
        }
    }
}
