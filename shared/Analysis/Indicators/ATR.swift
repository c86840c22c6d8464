import Core

extension Indicators {
    /// Wilder's Average True Range fed one candle at a time; its values equal
    /// ``Indicators/atr(high:low:close:period:)``.
    public struct ATR: Sendable {
        public let period: Int
        /// The current ATR; NaN until `period + 1` candles have been seen.
        public private(set) var value: Double = .nan
        private var previousClose = 0.0
        private var started = false
        private var ranges = 0
        private var total = 0.0

        public init(period: Int = 14) {
            precondition(period >= 1, "ATR period must be at least 1")
            self.period = period
        }

        /// Whether `value` is defined.
        public var isReady: Bool { ranges >= period }

        /// Adds the next candle and returns the ATR (NaN during the warm-up).
        @discardableResult
        public mutating func update(high: Double, low: Double, close: Double) -> Double {
            defer { previousClose = close }
            guard started else {
                started = true
                return value
            }
            let tr = Indicators.trueRange(high: high, low: low, previousClose: previousClose)
            let length = Double(period)
            ranges += 1
            if ranges < period {
                total += tr
            } else if ranges == period {
                total += tr
                value = total / length
            } else {
                value *= length - 1
                value += tr
                value /= length
            }
            return value
        }

        /// Adds the next candle and returns the ATR (NaN during the warm-up).
        @discardableResult
        public mutating func update(_ candle: Candle) -> Double {
            update(high: candle.high, low: candle.low, close: candle.close)
        }
    }
}
