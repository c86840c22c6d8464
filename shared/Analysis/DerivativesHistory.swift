import Core

/// The futures series the sentiment and crypto-metrics heads read, as stored in PostgreSQL
/// (`derivatives.series`).
public enum DerivativeSeries: String, CaseIterable, Sendable, Hashable, Codable {
    case funding
    case premium
    case openInterest = "open_interest"
    case longShort = "long_short"
}

/// How much of each derivatives series an analysis sees, and how old its newest sample may be.
public struct DerivativesWindows: Sendable, Hashable {
    /// Newest samples per series in an input.
    public var counts: [DerivativeSeries: Int]
    /// A series whose newest sample is older than this at the moment is left out (the heads
    /// then say it is unavailable): stale data is no data.
    public var staleAfter: [DerivativeSeries: Int64]

    public init(counts: [DerivativeSeries: Int], staleAfter: [DerivativeSeries: Int64]) {
        self.counts = counts
        self.staleAfter = staleAfter
    }

    /// Funding: the last 12 events (4 days at 8 h), stale after 9 h. Premium, open interest and
    /// the long/short ratio: 5-minute samples over 4 hours (48; the crypto-metrics head's open
    /// interest lookback is 1 hour, the sentiment head's ratio trend 12 samples), stale after
    /// 15 minutes.
    public static let standard = DerivativesWindows(
        counts: [.funding: 12, .premium: 48, .openInterest: 48, .longShort: 48],
        staleAfter: [.funding: 9 * 3_600_000, .premium: 900_000, .openInterest: 900_000, .longShort: 900_000])
}

/// One symbol's derivatives samples over time, oldest first per series: what the live service
/// reads for one moment and the backtest holds for a whole run. `at(_:)` is the one place that
/// decides what an analysis at a moment sees, for both.
public struct DerivativesHistory: Sendable, Hashable {
    public private(set) var series: [DerivativeSeries: [TimedValue]]

    /// Samples in any order; a time repeated within a series keeps its last value.
    public init(_ samples: [DerivativeSeries: [TimedValue]]) {
        var series: [DerivativeSeries: [TimedValue]] = [:]
        for (kind, values) in samples {
            var byTime: [Int64: Double] = [:]
            for value in values where value.value.isFinite { byTime[value.time] = value.value }
            let sorted = byTime.keys.sorted().map { TimedValue(time: $0, value: byTime[$0]!) }
            if !sorted.isEmpty { series[kind] = sorted }
        }
        self.series = series
    }

    public var isEmpty: Bool { series.isEmpty }

    /// What is known at `moment` (ms, inclusive): per series the newest `windows.counts`
    /// samples at or before it, if the newest is no older than `windows.staleAfter`. Nil when
    /// no series has usable data.
    ///
    /// - Parameter knownUntil: when given, per series the newest sample time that may be used
    ///   (what a live analysis recorded it saw: samples stored later are left out); a series
    ///   missing from it is left out entirely.
    public func at(_ moment: Int64, windows: DerivativesWindows = .standard, knownUntil: [DerivativeSeries: Int64]? = nil) -> Derivatives? {
        func window(_ kind: DerivativeSeries) -> [TimedValue] {
            guard let values = series[kind], let count = windows.counts[kind], count > 0 else { return [] }
            var bound = moment
            if let knownUntil {
                guard let known = knownUntil[kind] else { return [] }
                bound = min(moment, known)
            }
            // First index after the bound (binary search: times are ascending).
            var low = 0
            var high = values.count
            while low < high {
                let middle = (low + high) / 2
                if values[middle].time <= bound { low = middle + 1 } else { high = middle }
            }
            guard low > 0 else { return [] }
            if let stale = windows.staleAfter[kind], moment - values[low - 1].time > stale { return [] }
            return Array(values[max(0, low - count)..<low])
        }
        let result = Derivatives(
            funding: window(.funding), premium: window(.premium), openInterest: window(.openInterest), longShortRatio: window(.longShort))
        if result.funding.isEmpty, result.premium.isEmpty, result.openInterest.isEmpty, result.longShortRatio.isEmpty { return nil }
        return result
    }
}

extension Derivatives {
    /// The newest sample time of each non-empty series: the identity of these inputs.
    public var newestTimes: [DerivativeSeries: Int64] {
        var times: [DerivativeSeries: Int64] = [:]
        if let time = funding.last?.time { times[.funding] = time }
        if let time = premium.last?.time { times[.premium] = time }
        if let time = openInterest.last?.time { times[.openInterest] = time }
        if let time = longShortRatio.last?.time { times[.longShort] = time }
        return times
    }
}
