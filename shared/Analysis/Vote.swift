/// One head's opinion about one symbol at one candle.
///
/// `probability` is the head's estimate (0...1) that the move in `direction` happens;
/// `confidence` (0...1) is how much the head trusts its own reading given the data it had.
/// A neutral vote still carries reasons, so a person can see why a head abstained.
public struct Vote: Sendable, Hashable, Codable {
    public var head: HeadKind
    public var direction: Direction
    public var probability: Double
    public var confidence: Double
    public var reasons: [String]

    public init(head: HeadKind, direction: Direction, probability: Double, confidence: Double, reasons: [String]) {
        self.head = head
        self.direction = direction
        // A NaN from a degenerate input must not reach consensus or JSON: it reads as "no idea".
        self.probability = probability.isNaN ? 0.5 : min(max(probability, 0), 1)
        self.confidence = confidence.isNaN ? 0 : min(max(confidence, 0), 1)
        self.reasons = reasons
    }

    /// The vote of a head that lacks the data it needs: neutral, confidence 0, and why.
    public static func missingData(_ head: HeadKind, _ reason: String) -> Vote {
        Vote(head: head, direction: .neutral, probability: 0.5, confidence: 0, reasons: [reason])
    }
}
