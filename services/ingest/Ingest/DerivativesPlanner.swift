import Analysis

/// Which derivatives samples to fetch when, for every tracked futures symbol: a pure state
/// machine on the exchange clock (ms), so a replay in the past fetches correctly and tests
/// need no sleeping.
///
/// - A series with nothing stored is fetched at once: the latest page (its history).
/// - A series whose newest stored sample is `newest` is due again when the next sample
///   exists, at `newest + period` (funding 8 h; open interest, long/short 5 minutes): once per
///   period per symbol, from `newest + 1`.
/// - A fetch that brought nothing new (the exchange publishes a little after the boundary) or
///   failed is retried no sooner than `retryAfter` later.
/// - Premium is sampled from the mark price stream, once per `period` of the premium series.
struct DerivativesPlanner: Sendable {
    struct Fetch: Sendable, Hashable {
        var symbol: String
        var series: DerivativeSeries
        /// Fetch samples after this time; nil: the latest page.
        var after: Int64?
    }

    struct Key: Hashable {
        var symbol: String
        var series: DerivativeSeries
    }

    var periods: [DerivativeSeries: Int64] = [.funding: 28_800_000, .openInterest: 300_000, .longShort: 300_000, .premium: 300_000]
    var retryAfter: Int64 = 60_000
    private(set) var newest: [Key: Int64] = [:]
    private var attempted: [Key: Int64] = [:]

    /// What is already stored (read once at the start of a lead).
    mutating func seed(_ stored: [String: [DerivativeSeries: Int64]]) {
        for (symbol, series) in stored {
            for (kind, time) in series { record(Key(symbol: symbol, series: kind), time) }
        }
    }

    /// The fetches due at `now` for `symbols` (REST series only), each marked attempted.
    mutating func due(symbols: [String], now: Int64) -> [Fetch] {
        var result: [Fetch] = []
        for symbol in symbols {
            for series in [DerivativeSeries.funding, .openInterest, .longShort] {
                let key = Key(symbol: symbol, series: series)
                if isDue(key, now: now) {
                    attempted[key] = now
                    result.append(Fetch(symbol: symbol, series: series, after: newest[key]))
                }
            }
        }
        return result
    }

    /// Whether a premium sample of `symbol` is due at `now` (marks it attempted when it is).
    mutating func premiumDue(_ symbol: String, now: Int64) -> Bool {
        let key = Key(symbol: symbol, series: .premium)
        guard isDue(key, now: now) else { return false }
        attempted[key] = now
        return true
    }

    /// A fetch or sample stored samples up to `time` (nil: nothing new).
    mutating func stored(_ symbol: String, _ series: DerivativeSeries, newest time: Int64?) {
        if let time { record(Key(symbol: symbol, series: series), time) }
    }

    /// Forgets symbols no longer tracked.
    mutating func keep(_ symbols: Set<String>) {
        newest = newest.filter { symbols.contains($0.key.symbol) }
        attempted = attempted.filter { symbols.contains($0.key.symbol) }
    }

    private func isDue(_ key: Key, now: Int64) -> Bool {
        if let last = attempted[key], now - last < retryAfter { return false }
        guard let time = newest[key] else { return true }
        return now >= time + (periods[key.series] ?? 300_000)
    }

    private mutating func record(_ key: Key, _ time: Int64) {
        newest[key] = max(newest[key] ?? .min, time)
    }
}
