/// What the heads agree on at one candle, under some ``ConsensusRules``.
///
/// Built with ``init(votes:rules:)``. `direction` is `.long` or `.short` when the rules are met
/// and `.neutral` otherwise; `summary` says why in a sentence a person can read, e.g.
/// `"long: 6 of 9 heads agree (1 short)"` or `"no signal: 4 of 9 long, 1 short (needs 5)"`.
public struct Consensus: Sendable, Hashable, Codable {
    /// The decision: long, short or neutral (no signal).
    public var direction: Direction
    /// Heads that count for `direction`, in vote order; empty when neutral.
    public var agreeing: [HeadKind]
    /// Heads that count for long (pass both floors), whatever the decision.
    public var longCount: Int
    /// Heads that count for short (pass both floors), whatever the decision.
    public var shortCount: Int
    /// Weighted mean probability of the agreeing heads; 0 when neutral.
    public var probability: Double
    /// Weighted mean confidence of the agreeing heads; 0 when neutral.
    public var confidence: Double
    /// Every vote the decision was made from, as given.
    public var votes: [Vote]
    /// The decision and its reason in one line.
    public var summary: String

    /// Whether the consensus is a signal (long or short).
    public var isSignal: Bool { direction != .neutral }

    public init(
        direction: Direction, agreeing: [HeadKind], longCount: Int, shortCount: Int, probability: Double,
        confidence: Double, votes: [Vote], summary: String
    ) {
        self.direction = direction
        self.agreeing = agreeing
        self.longCount = longCount
        self.shortCount = shortCount
        self.probability = probability
        self.confidence = confidence
        self.votes = votes
        self.summary = summary
    }

    /// Decides from `votes` under `rules`.
    ///
    /// Probability and confidence are averaged over the agreeing heads with the rules'
    /// weights; when all agreeing heads weigh 0 the plain mean is used instead.
    public init(votes: [Vote], rules: ConsensusRules) {
        let counting = votes.filter(rules.counts)
        let long = counting.filter { $0.direction == .long }
        let short = counting.filter { $0.direction == .short }
        let total = votes.count
        let needs = rules.minimumAgreeing

        let winner: (direction: Direction, votes: [Vote])?
        if long.count >= needs, long.count > short.count {
            winner = (.long, long)
        } else if short.count >= needs, short.count > long.count {
            winner = (.short, short)
        } else {
            winner = nil
        }

        guard let winner else {
            let summary: String
            if long.count >= needs || short.count >= needs {
                summary = "no signal: \(long.count) long vs \(short.count) short of \(total) (needs a strict majority)"
            } else if long.count >= short.count {
                summary = "no signal: \(long.count) of \(total) long, \(short.count) short (needs \(needs))"
            } else {
                summary = "no signal: \(short.count) of \(total) short, \(long.count) long (needs \(needs))"
            }
            self.init(
                direction: .neutral, agreeing: [], longCount: long.count, shortCount: short.count, probability: 0,
                confidence: 0, votes: votes, summary: summary)
            return
        }

        var weights = winner.votes.map { rules.weight(of: $0.head) }
        if weights.reduce(0, +) <= 0 { weights = Array(repeating: 1, count: weights.count) }
        let totalWeight = weights.reduce(0, +)
        let probability = zip(winner.votes, weights).reduce(0) { $0 + $1.0.probability * $1.1 } / totalWeight
        let confidence = zip(winner.votes, weights).reduce(0) { $0 + $1.0.confidence * $1.1 } / totalWeight
        let opposite = winner.direction == .long ? short.count : long.count
        let side = winner.direction.rawValue
        self.init(
            direction: winner.direction, agreeing: winner.votes.map(\.head), longCount: long.count,
            shortCount: short.count, probability: probability, confidence: confidence, votes: votes,
            summary: "\(side): \(winner.votes.count) of \(total) heads agree (\(opposite) \(winner.direction.opposite.rawValue))")
    }

    private enum CodingKeys: String, CodingKey {
        case direction, agreeing
        case longCount = "long_count"
        case shortCount = "short_count"
        case probability, confidence, votes, summary
    }
}
