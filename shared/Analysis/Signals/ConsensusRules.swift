/// When the heads' votes add up to a signal.
///
/// A head *counts* for a direction when its vote points that way with
/// `probability >= probabilityFloor` and `confidence >= confidenceFloor`. A direction wins
/// when at least `minimumAgreeing` heads count for it and strictly more than count for the
/// opposite side. Weights only shape the averaged probability and confidence of the agreeing
/// heads; they never change the head count.
///
/// Coding uses the configuration's snake_case names (`probability_floor`, `confidence_floor`,
/// `minimum_agreeing`, `weights` as a map from head name to weight). Missing keys take their
/// defaults; an unknown head name, a floor outside 0...1, a `minimum_agreeing` below 1 or a
/// negative or non-finite weight fails decoding.
public struct ConsensusRules: Sendable, Hashable, Codable {
    /// Lowest probability (0...1) a vote needs to count. Default 0.60.
    public var probabilityFloor: Double
    /// Lowest confidence (0...1) a vote needs to count. Default 0.70.
    public var confidenceFloor: Double
    /// Fewest counting heads a direction needs. Default 5 (of 9).
    public var minimumAgreeing: Int
    /// Weights of heads in the averages; a head not listed weighs 1.0.
    public var weights: [HeadKind: Double]

    public init(
        probabilityFloor: Double = 0.60, confidenceFloor: Double = 0.70, minimumAgreeing: Int = 5,
        weights: [HeadKind: Double] = [:]
    ) {
        precondition((0...1).contains(probabilityFloor), "probabilityFloor must be in 0...1")
        precondition((0...1).contains(confidenceFloor), "confidenceFloor must be in 0...1")
        precondition(minimumAgreeing >= 1, "minimumAgreeing must be at least 1")
        precondition(weights.values.allSatisfy { $0.isFinite && $0 >= 0 }, "weights must be finite and >= 0")
        self.probabilityFloor = probabilityFloor
        self.confidenceFloor = confidenceFloor
        self.minimumAgreeing = minimumAgreeing
        self.weights = weights
    }

    /// The weight of `head` in averages (1.0 unless configured).
    public func weight(of head: HeadKind) -> Double { weights[head] ?? 1.0 }

    /// Whether `vote` counts for its direction: it is not neutral and passes both floors.
    public func counts(_ vote: Vote) -> Bool {
        vote.direction != .neutral && vote.probability >= probabilityFloor && vote.confidence >= confidenceFloor
    }

    private enum CodingKeys: String, CodingKey {
        case probabilityFloor = "probability_floor"
        case confidenceFloor = "confidence_floor"
        case minimumAgreeing = "minimum_agreeing"
        case weights
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ConsensusRules()
        let probability = try container.decodeIfPresent(Double.self, forKey: .probabilityFloor) ?? defaults.probabilityFloor
        let confidence = try container.decodeIfPresent(Double.self, forKey: .confidenceFloor) ?? defaults.confidenceFloor
        let minimum = try container.decodeIfPresent(Int.self, forKey: .minimumAgreeing) ?? defaults.minimumAgreeing
        let named = try container.decodeIfPresent([String: Double].self, forKey: .weights) ?? [:]
        guard (0...1).contains(probability) else {
            throw DecodingError.dataCorruptedError(forKey: .probabilityFloor, in: container, debugDescription: "must be in 0...1")
        }
        guard (0...1).contains(confidence) else {
            throw DecodingError.dataCorruptedError(forKey: .confidenceFloor, in: container, debugDescription: "must be in 0...1")
        }
        guard minimum >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .minimumAgreeing, in: container, debugDescription: "must be at least 1")
        }
        var weights: [HeadKind: Double] = [:]
        for (name, weight) in named {
            guard let head = HeadKind(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .weights, in: container, debugDescription: "unknown head '\(name)'")
            }
            guard weight.isFinite, weight >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .weights, in: container, debugDescription: "weight of '\(name)' must be finite and >= 0")
            }
            weights[head] = weight
        }
        self.init(probabilityFloor: probability, confidenceFloor: confidence, minimumAgreeing: minimum, weights: weights)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(probabilityFloor, forKey: .probabilityFloor)
        try container.encode(confidenceFloor, forKey: .confidenceFloor)
        try container.encode(minimumAgreeing, forKey: .minimumAgreeing)
        try container.encode(Dictionary(uniqueKeysWithValues: weights.map { ($0.key.rawValue, $0.value) }), forKey: .weights)
    }
}
