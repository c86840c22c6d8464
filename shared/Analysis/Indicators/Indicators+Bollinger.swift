extension Indicators {
    /// Bollinger Bands, index-aligned with the input.
    public struct BollingerSeries: Sendable, Hashable {
        public var upper: [Double]
        /// The SMA of the period.
        public var middle: [Double]
        public var lower: [Double]
    }

    /// Bollinger Bands: SMA ± `deviations` population standard deviations (TA-Lib `BBANDS`
    /// with an SMA middle band).
    ///
    /// The first values are at index `period - 1`. The deviation is computed in two passes
    /// around the middle band, which is more accurate than TA-Lib's running sum of squares
    /// and agrees with it to far better than 1e-9 of the band.
    public static func bollinger(_ values: [Double], period: Int = 20, deviations: Double = 2) -> BollingerSeries {
        precondition(period >= 2, "Bollinger period must be at least 2")
        let count = values.count
        var middle = nanSeries(count)
        smaKernel(values, from: 0, period: period, into: &middle)
        var upper = nanSeries(count)
        var lower = nanSeries(count)
        if period - 1 < count {
            let length = Double(period)
            for i in (period - 1)..<count {
                let mean = middle[i]
                var sum = 0.0
                for j in (i - period + 1)...i {
                    let d = values[j] - mean
                    sum += d * d
                }
                let band = (sum / length).squareRoot() * deviations
                upper[i] = mean + band
                lower[i] = mean - band
            }
        }
        return BollingerSeries(upper: upper, middle: middle, lower: lower)
    }
}
