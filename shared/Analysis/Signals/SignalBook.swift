import Core

/// The open signals and per-symbol signal times, as a pure value: the one place that decides
/// whether a consensus may become a signal and when an open signal ends.
///
/// Two rules, per market and symbol (spot and futures BTCUSDT are separate):
/// - **one open signal at a time**: a new signal waits until the open one is resolved;
/// - **cooldown**, measured from the *creation* of the last signal (not its resolution): a new
///   signal needs `time >= lastSignalAt + rules.cooldownMilliseconds`. With the default 60
///   minute cooldown and 240 minute expiry, the cooldown only bites after a signal resolved
///   within its first hour.
///
/// The live service and the backtest drive it the same way: ``resolve(with:)`` with every
/// closed 1m candle first, then ``propose(_:symbol:market:entry:atr:at:)`` with the analysis
/// made at that candle's close.
public struct SignalBook: Sendable, Hashable {
    /// A market and symbol.
    public struct Key: Sendable, Hashable, Codable, Comparable {
        public var market: Market
        public var symbol: String
        public init(market: Market, symbol: String) {
            self.market = market
            self.symbol = symbol
        }
        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.market.rawValue, lhs.symbol) < (rhs.market.rawValue, rhs.symbol)
        }
    }

    /// Whether a symbol may take a new signal at some time.
    public enum Availability: Sendable, Hashable {
        case available
        /// A signal is still open on the symbol.
        case open(Signal)
        /// The symbol's cooldown runs until this time (Unix ms).
        case coolingDown(until: Int64)
    }

    /// What became of a proposed consensus.
    public enum Proposal: Sendable, Hashable {
        /// A signal was opened (and is now in the book).
        case opened(Signal)
        /// The consensus is neutral.
        case neutral
        /// No stop could be sized (ATR or entry not finite and > 0).
        case invalidLevels
        /// The symbol cannot take a signal now.
        case unavailable(Availability)
    }

    public var rules: SignalRules
    /// Open signals by symbol.
    public private(set) var openSignals: [Key: Signal]
    /// Creation time of the latest signal per symbol (Unix ms).
    public private(set) var lastSignalAt: [Key: Int64]

    /// A book, optionally restored from stored state. Each restored open signal also counts as
    /// its symbol's latest signal unless `lastSignalAt` has a later time.
    public init(rules: SignalRules = SignalRules(), openSignals: [Signal] = [], lastSignalAt: [Key: Int64] = [:]) {
        self.rules = rules
        self.openSignals = [:]
        self.lastSignalAt = lastSignalAt
        for signal in openSignals {
            let key = Key(market: signal.market, symbol: signal.symbol)
            self.openSignals[key] = signal
            self.lastSignalAt[key] = max(self.lastSignalAt[key] ?? .min, signal.createdAt)
        }
    }

    /// Whether `symbol` may take a new signal at `time` (Unix ms).
    public func availability(symbol: String, market: Market, at time: Int64) -> Availability {
        let key = Key(market: market, symbol: symbol)
        if let signal = openSignals[key] { return .open(signal) }
        if let last = lastSignalAt[key] {
            let (until, overflow) = last.addingReportingOverflow(rules.cooldownMilliseconds)
            if !overflow, time < until { return .coolingDown(until: until) }
        }
        return .available
    }

    /// Adds `signal` if its symbol is available at `signal.createdAt`; returns the
    /// availability it met (`.available` means it was added).
    @discardableResult
    public mutating func open(_ signal: Signal) -> Availability {
        let availability = availability(symbol: signal.symbol, market: signal.market, at: signal.createdAt)
        guard availability == .available else { return availability }
        let key = Key(market: signal.market, symbol: signal.symbol)
        openSignals[key] = signal
        lastSignalAt[key] = signal.createdAt
        return .available
    }

    /// Turns a consensus made at `time` (the analysed candle's close time) into an open signal
    /// when the book allows it. See ``Signal/init(consensus:symbol:market:entry:atr:createdAt:rules:)``.
    public mutating func propose(
        _ consensus: Consensus, symbol: String, market: Market, entry: Double, atr: Double, at time: Int64
    ) -> Proposal {
        guard consensus.isSignal else { return .neutral }
        let availability = availability(symbol: symbol, market: market, at: time)
        guard availability == .available else { return .unavailable(availability) }
        guard
            let signal = Signal(
                consensus: consensus, symbol: symbol, market: market, entry: entry, atr: atr, createdAt: time,
                rules: rules)
        else { return .invalidLevels }
        open(signal)
        return .opened(signal)
    }

    /// Feeds one closed candle (1m, oldest first per symbol); when it ends the symbol's open
    /// signal, removes it from the book and returns it with its outcome. Resolution follows
    /// ``Signal/resolve(with:winAt:)`` with `rules.winAt`.
    public mutating func resolve(with candle: Candle) -> ResolvedSignal? {
        let key = Key(market: candle.market, symbol: candle.symbol)
        guard let signal = openSignals[key], let outcome = signal.resolve(with: candle, winAt: rules.winAt) else { return nil }
        openSignals[key] = nil
        return ResolvedSignal(signal: signal, outcome: outcome)
    }
}
