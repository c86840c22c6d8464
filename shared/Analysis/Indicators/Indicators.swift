/// Technical indicators as pure functions over price series.
///
/// Series functions return an array as long as their input and index-aligned with it; values
/// that are not defined yet (the warm-up) are `.nan`, so callers test `isNaN` rather than
/// unwrap optionals. Warm-up lengths, seeding and smoothing follow TA-Lib's default
/// (non-Metastock) behaviour, and the reference tests hold the results to TA-Lib's within
/// 1e-9 relative. Where TA-Lib treats a value as zero below an absolute epsilon, these
/// functions test exact zero, so coins priced far below 1 USDT are not flattened.
///
/// Everything here is deterministic: no I/O, no clock, no per-element allocation.
/// Precondition failures (a period below its minimum, arrays of different lengths) are
/// programmer mistakes and trap.
public enum Indicators {}

extension Indicators {
    /// TA-Lib's smoothing factor for an EMA of `period`: 2 / (period + 1).
    @inline(__always)
    static func smoothing(_ period: Int) -> Double { 2.0 / Double(period + 1) }

    @inline(__always)
    static func nanSeries(_ count: Int) -> [Double] { [Double](repeating: .nan, count: count) }

    @inline(__always)
    static func checkSameLength(_ a: Int, _ b: Int, _ c: Int? = nil, _ d: Int? = nil) {
        precondition(a == b && (c ?? a) == a && (d ?? a) == a, "indicator inputs must have the same length")
    }
}
