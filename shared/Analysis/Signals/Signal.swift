import Core

/// A LONG or SHORT call on one symbol, with its levels, as published and tracked.
///
/// Signals carry no id: the caller (database, backtest) assigns one. Prices are in the quote
/// asset, times in Unix milliseconds. `risk` is the distance entry → stop (1R); the targets
/// lie `target1R` and `target2R` multiples of it beyond the entry. Coding uses snake_case keys
/// (`created_at`, `expires_at`, …).
public struct Signal: Sendable, Hashable, Codable {
    public var symbol: String
    public var market: Market
    /// `.long` or `.short`, never `.neutral`.
    public var direction: Direction
    /// Close time of the analysed candle: the moment the signal was made.
    public var createdAt: Int64
    /// The analysed candle's close.
    public var entry: Double
    public var stop: Double
    /// First target (2R by default).
    public var target1: Double
    /// Second target (3R by default).
    public var target2: Double
    /// |entry − stop|, always > 0.
    public var risk: Double
    /// `createdAt` + the rules' expiry.
    public var expiresAt: Int64
    public var probability: Double
    public var confidence: Double
    /// Heads that agreed, in vote order.
    public var agreeing: [HeadKind]
    /// Every head's vote at the moment of the signal.
    public var votes: [Vote]

    public init(
        symbol: String, market: Market, direction: Direction, createdAt: Int64, entry: Double, stop: Double,
        target1: Double, target2: Double, risk: Double, expiresAt: Int64, probability: Double, confidence: Double,
        agreeing: [HeadKind], votes: [Vote]
    ) {
        self.symbol = symbol
        self.market = market
        self.direction = direction
        self.createdAt = createdAt
        self.entry = entry
        self.stop = stop
        self.target1 = target1
        self.target2 = target2
        self.risk = risk
        self.expiresAt = expiresAt
        self.probability = probability
        self.confidence = confidence
        self.agreeing = agreeing
        self.votes = votes
    }

    /// Builds a signal in `direction` with levels from `rules`: stop = entry ∓
    /// `stopATRMultiple` × `atr`, targets = entry ± `target1R`/`target2R` × risk, expiry =
    /// `createdAt` + `rules.expiryMilliseconds`.
    ///
    /// Returns nil when `direction` is neutral, or `entry` or `atr` is not finite and > 0.
    public init?(
        direction: Direction, symbol: String, market: Market, entry: Double, atr: Double, createdAt: Int64,
        rules: SignalRules, probability: Double = 0, confidence: Double = 0, agreeing: [HeadKind] = [],
        votes: [Vote] = []
    ) {
        guard direction != .neutral, entry.isFinite, entry > 0, atr.isFinite, atr > 0 else { return nil }
        let distance = rules.stopATRMultiple * atr
        let sign: Double = direction == .long ? 1 : -1
        let stop = entry - sign * distance
        let risk = abs(entry - stop)
        guard risk > 0, risk.isFinite else { return nil }
        self.init(
            symbol: symbol, market: market, direction: direction, createdAt: createdAt, entry: entry, stop: stop,
            target1: entry + sign * rules.target1R * risk, target2: entry + sign * rules.target2R * risk, risk: risk,
            expiresAt: createdAt + rules.expiryMilliseconds, probability: probability, confidence: confidence,
            agreeing: agreeing, votes: votes)
    }

    /// Builds the signal a consensus calls for; nil when the consensus is neutral or `entry` or
    /// `atr` is not finite and > 0.
    ///
    /// - Parameters:
    ///   - entry: the analysed candle's close.
    ///   - atr: the Average True Range the stop is sized from, in price units.
    ///   - createdAt: the analysed candle's close time (Unix ms).
    public init?(
        consensus: Consensus, symbol: String, market: Market, entry: Double, atr: Double, createdAt: Int64,
        rules: SignalRules
    ) {
        self.init(
            direction: consensus.direction, symbol: symbol, market: market, entry: entry, atr: atr,
            createdAt: createdAt, rules: rules, probability: consensus.probability,
            confidence: consensus.confidence, agreeing: consensus.agreeing, votes: consensus.votes)
    }

    /// The target that settles the signal as won under `winAt`.
    public func target(_ winAt: SignalRules.WinningTarget) -> Double {
        switch winAt {
        case .target1: target1
        case .target2: target2
        }
    }

    /// The return, in R, of leaving at `price`: positive when price moved the signal's way.
    public func returnR(exitingAt price: Double) -> Double {
        (direction == .short ? entry - price : price - entry) / risk
    }

    private enum CodingKeys: String, CodingKey {
        case symbol, market, direction
        case createdAt = "created_at"
        case entry, stop, target1, target2, risk
        case expiresAt = "expires_at"
        case probability, confidence, agreeing, votes
    }
}
