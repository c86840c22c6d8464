import Core

extension Indicators {
    /// On-Balance Volume fed one bar at a time; its values equal ``Indicators/obv(close:volume:)``.
    public struct OBV: Sendable {
        /// The current OBV; NaN before the first bar.
        public private(set) var value: Double = .nan
        private var previousClose = 0.0
        private var started = false

        public init() {}

        /// Adds the next bar and returns the OBV.
        @discardableResult
        public mutating func update(close: Double, volume: Double) -> Double {
            if !started {
                started = true
                value = volume
            } else if close > previousClose {
                value += volume
            } else if close < previousClose {
                value -= volume
            }
            previousClose = close
            return value
        }

        /// Adds the next candle and returns the OBV.
        @discardableResult
        public mutating func update(_ candle: Candle) -> Double {
            update(close: candle.close, volume: candle.volume)
        }
    }
}
