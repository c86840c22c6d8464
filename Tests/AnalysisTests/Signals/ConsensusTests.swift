import Foundation
import Testing
import Analysis

private typealias F = SignalFixtures

@Suite struct ConsensusTests {
    /// Nine votes: `long` long heads, then `short` short ones, the rest neutral.
    func votes(long: Int, short: Int) -> [Vote] {
        HeadKind.allCases.enumerated().map { index, head in
            index < long ? F.vote(head, .long) : index < long + short ? F.vote(head, .short) : F.vote(head, .neutral)
        }
    }

    @Test func fiveAgainstFourIsASignal() {
        let consensus = Consensus(votes: votes(long: 5, short: 4), rules: ConsensusRules())
        #expect(consensus.direction == .long)
        #expect(consensus.isSignal)
        #expect(consensus.agreeing == Array(HeadKind.allCases.prefix(5)))
        #expect(consensus.longCount == 5)
        #expect(consensus.shortCount == 4)
        #expect(abs(consensus.probability - 0.8) < 1e-12)
        #expect(abs(consensus.confidence - 0.9) < 1e-12)
        #expect(consensus.votes.count == 9)
        #expect(consensus.summary == "long: 5 of 9 heads agree (4 short)")
    }

    @Test func shortsWinTheMirrorImage() {
        let consensus = Consensus(votes: votes(long: 1, short: 6), rules: ConsensusRules())
        #expect(consensus.direction == .short)
        #expect(consensus.agreeing.count == 6)
    }

    @Test func fourAgreeingIsNotEnough() {
        let consensus = Consensus(votes: votes(long: 4, short: 0), rules: ConsensusRules())
        #expect(consensus.direction == .neutral)
        #expect(consensus.agreeing.isEmpty)
        #expect(consensus.probability == 0)
        #expect(consensus.summary == "no signal: 4 of 9 long, 0 short (needs 5)")
        #expect(Consensus(votes: votes(long: 4, short: 0), rules: ConsensusRules(minimumAgreeing: 4)).direction == .long)
    }

    @Test func noStrictMajorityNoSignal() {
        // Ten heads (a duplicated kind) are needed for five on each side.
        var tied = HeadKind.allCases.prefix(5).map { F.vote($0, .long) }
        tied += HeadKind.allCases.suffix(4).map { F.vote($0, .short) } + [F.vote(.technical, .short)]
        let consensus = Consensus(votes: tied, rules: ConsensusRules())
        #expect(consensus.direction == .neutral)
        #expect(consensus.longCount == 5 && consensus.shortCount == 5)
        #expect(consensus.summary.contains("strict majority"))

        // Five long never wins against six short; the short side does.
        let outnumbered = Consensus(votes: tied + [F.vote(.ict, .short)], rules: ConsensusRules())
        #expect(outnumbered.direction == .short)
    }

    @Test func floorsAreInclusiveAndBelowDoesNotCount() {
        var atFloor = votes(long: 5, short: 0)
        atFloor[0] = F.vote(atFloor[0].head, .long, probability: 0.60, confidence: 0.70)
        #expect(Consensus(votes: atFloor, rules: ConsensusRules()).direction == .long)

        var lowConfidence = atFloor
        lowConfidence[0] = F.vote(lowConfidence[0].head, .long, probability: 0.9, confidence: 0.69)
        let weak = Consensus(votes: lowConfidence, rules: ConsensusRules())
        #expect(weak.direction == .neutral)
        #expect(weak.longCount == 4)

        var lowProbability = atFloor
        lowProbability[0] = F.vote(lowProbability[0].head, .long, probability: 0.59, confidence: 0.9)
        #expect(Consensus(votes: lowProbability, rules: ConsensusRules()).direction == .neutral)
    }

    @Test func weightsShapeTheAveragesNotTheCount() {
        let probabilities = [0.6, 0.7, 0.8, 0.9, 1.0]
        let longs = zip(HeadKind.allCases, probabilities).map { F.vote($0, .long, probability: $1, confidence: 0.7 + $1 / 10) }
        let plain = Consensus(votes: longs, rules: ConsensusRules())
        #expect(abs(plain.probability - 0.8) < 1e-12)

        // cryptoMetrics is not voting, so its weight changes nothing.
        let weighted = Consensus(
            votes: longs, rules: ConsensusRules(weights: [.ict: 3, .technical: 0, .cryptoMetrics: 100]))
        // ict (probability 1.0) × 3, technical (0.6) × 0, the other three × 1.
        let expected = (0.7 + 0.8 + 0.9 + 3 * 1.0) / 6
        #expect(abs(weighted.probability - expected) < 1e-12)
        #expect(abs(weighted.confidence - (0.7 + expected / 10)) < 1e-12)
        #expect(weighted.agreeing.count == 5)

        let allZero = Dictionary(uniqueKeysWithValues: HeadKind.allCases.map { ($0, 0.0) })
        let zero = Consensus(votes: longs, rules: ConsensusRules(weights: allZero))
        #expect(abs(zero.probability - 0.8) < 1e-12)
    }

    @Test func rulesDecodeWithDefaultsAndRejectNonsense() throws {
        let json = #"{"minimum_agreeing": 6, "weights": {"ict": 2, "market_structure": 0.5}}"#
        let rules = try JSONDecoder().decode(ConsensusRules.self, from: Data(json.utf8))
        #expect(rules.minimumAgreeing == 6)
        #expect(rules.probabilityFloor == 0.60)
        #expect(rules.confidenceFloor == 0.70)
        #expect(rules.weight(of: .ict) == 2)
        #expect(rules.weight(of: .marketStructure) == 0.5)
        #expect(rules.weight(of: .volume) == 1)

        let roundTrip = try JSONDecoder().decode(ConsensusRules.self, from: JSONEncoder().encode(rules))
        #expect(roundTrip == rules)

        for bad in [#"{"weights": {"astrology": 1}}"#, #"{"confidence_floor": 1.5}"#, #"{"minimum_agreeing": 0}"#,
                    #"{"weights": {"ict": -1}}"#]
        {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConsensusRules.self, from: Data(bad.utf8)) }
        }
    }
}

@Suite struct VoteSanitisingTests {
    @Test func aNaNVoteReadsAsNoIdeaAndNeverCounts() throws {
        let vote = Vote(head: .technical, direction: .long, probability: .nan, confidence: .nan, reasons: ["degenerate input"])
        #expect(vote.probability == 0.5 && vote.confidence == 0)
        #expect(!ConsensusRules().counts(vote))
        let clamped = Vote(head: .volume, direction: .short, probability: 1.7, confidence: -0.2, reasons: [])
        #expect(clamped.probability == 1 && clamped.confidence == 0)
        // Encodable without special float handling.
        _ = try JSONEncoder().encode(vote)
    }
}
