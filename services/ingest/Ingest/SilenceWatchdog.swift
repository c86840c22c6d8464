/// Decides when a WebSocket session has gone quiet: no frame at all for `connectionLimit`, or a
/// subscribed kline stream without a kline for `symbolLimit`. A pure state machine: every time
/// (Unix ms) is passed in, so it is tested without sleeping.
///
/// A symbol's silence is counted from the later of its last kline and the moment it was
/// subscribed on this session, never from the session's start: a symbol added live to a
/// connection that has been open for hours has the full limit to deliver its first kline.
struct SilenceWatchdog: Sendable {
    let connectionLimit: Int64
    let symbolLimit: Int64
    let started: Int64
    private(set) var lastFrame: Int64?
    /// Per watched symbol: its last kline, or when it was subscribed if none came since.
    private(set) var since: [String: Int64] = [:]

    init(started: Int64, connectionLimit: Int64, symbolLimit: Int64, symbols: some Sequence<String>) {
        self.started = started
        self.connectionLimit = connectionLimit
        self.symbolLimit = symbolLimit
        for symbol in symbols { since[symbol] = started }
    }

    /// Symbols subscribed on the live session at `now`; those already watched keep their times.
    mutating func subscribed(_ symbols: some Sequence<String>, at now: Int64) {
        for symbol in symbols where since[symbol] == nil { since[symbol] = now }
    }

    /// Symbols no longer subscribed: their silence no longer matters.
    mutating func unsubscribed(_ symbols: some Sequence<String>) {
        for symbol in symbols { since.removeValue(forKey: symbol) }
    }

    mutating func frame(at now: Int64) {
        lastFrame = max(lastFrame ?? now, now)
    }

    /// A kline of `symbol`; a symbol not (or no longer) watched is ignored.
    mutating func kline(_ symbol: String, at now: Int64) {
        if let previous = since[symbol] { since[symbol] = max(previous, now) }
    }

    /// Why the session should be replaced at `now`, if it should.
    func verdict(at now: Int64) -> String? {
        if now - (lastFrame ?? started) > connectionLimit { return "no frame for \(connectionLimit / 1000) s" }
        // The longest-silent symbol, so the reason is stable.
        if let (symbol, time) = since.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }), now - time > symbolLimit {
            return "no kline for \(symbol) for \(symbolLimit / 1000) s"
        }
        return nil
    }
}
