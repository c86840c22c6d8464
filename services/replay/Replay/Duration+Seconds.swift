/// Conversions of outside `Double` seconds that cannot trap: `Int64(x * 1000)` traps for
/// values beyond about 9.2e15 and for NaN, so every such value is clamped first.
extension Duration {
    /// The longest real-time span the replay schedules: a year.
    static let longestReplayWait: Double = 366 * 86_400

    /// `seconds` of real time, clamped to `0...maximum` (NaN counts as 0), to the millisecond.
    static func seconds(clamping seconds: Double, to maximum: Double = longestReplayWait) -> Duration {
        .milliseconds(Int64(milliseconds: min(max(seconds, 0), maximum) * 1000))
    }
}

extension Int64 {
    /// The largest magnitude a replay time in milliseconds is given: about 31 million years,
    /// so sums of two of them still fit.
    static let replayMillisecondBound: Int64 = 1 << 60

    /// `milliseconds` rounded down and clamped to ±`replayMillisecondBound` (NaN gives 0).
    init(milliseconds: Double) {
        let bound = Double(Int64.replayMillisecondBound)
        guard !milliseconds.isNaN else {
            self = 0
            return
        }
        self = Int64(Swift.min(Swift.max(milliseconds.rounded(.down), -bound), bound))
    }
}
