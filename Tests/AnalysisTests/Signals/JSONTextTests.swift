import Foundation
import Testing
import Analysis

/// The hand-written JSON of votes and consensus (`JSONText`) reads back as the same values, and
/// as the same JSON document as `JSONEncoder` writes, whatever the reasons hold.
@Suite struct JSONTextTests {
    static let awkward = [
        "plain", "with \"quotes\" and \\ backslash", "line\nbreak\ttab\rreturn", "control \u{01}\u{1F} chars",
        "unicode ≥ é 🚀 \u{2028}", "slash / stays", "", "ends with \\",
    ]

    static func votes() -> [Vote] {
        let numbers: [Double] = [0, 1, 0.1, 1e-7, 1.0 / 3.0, 0.999999999999, .leastNonzeroMagnitude, 0.5]
        return HeadKind.allCases.enumerated().map { index, head in
            Vote(head: head, direction: Direction.allCases[index % Direction.allCases.count],
                 probability: numbers[index % numbers.count], confidence: numbers[(index + 3) % numbers.count],
                 reasons: Array(awkward.prefix(index % (awkward.count + 1))) + [awkward[index % awkward.count]])
        }
    }

    func object(_ data: Data) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSObject)
    }

    @Test func consensusAndVotesReadBackAsWritten() throws {
        for consensus in [Consensus(votes: Self.votes(), rules: ConsensusRules(minimumAgreeing: 1)),
                          Consensus(votes: Self.votes(), rules: ConsensusRules())] {
            let text = consensus.jsonText
            #expect(try JSONDecoder().decode(Consensus.self, from: Data(text.utf8)) == consensus)
            #expect(try object(Data(text.utf8)) == object(try JSONEncoder().encode(consensus)), "\(text)")
            let votes = Vote.jsonText(consensus.votes)
            #expect(try JSONDecoder().decode([Vote].self, from: Data(votes.utf8)) == consensus.votes)
            #expect(try object(Data(votes.utf8)) == object(try JSONEncoder().encode(consensus.votes)))
            // As an analyses row stores it: without the votes, which the row keeps once.
            let stored = try #require(try JSONSerialization.jsonObject(with: Data(consensus.jsonText(includingVotes: false).utf8)) as? [String: Any])
            var whole = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(whole.removeValue(forKey: "votes") != nil && stored["votes"] == nil)
            #expect(NSDictionary(dictionary: stored) == NSDictionary(dictionary: whole))
        }
        #expect(Vote.jsonText([]) == "[]")
        // Whole numbers as integers, as JSONEncoder writes them (jsonb keeps the text: 1.0 would
        // reach the API as 1.0 where older rows say 1).
        let whole = Vote(head: HeadKind.allCases[0], direction: .long, probability: 1, confidence: 0, reasons: [])
        #expect(Vote.jsonText([whole]).contains("\"probability\":1,\"confidence\":0,"), "\(Vote.jsonText([whole]))")
    }

    @Test func stringListsAndIntegerMapsAreJSON() throws {
        #expect(try JSONDecoder().decode([String].self, from: Data(JSONText.text(Self.awkward).utf8)) == Self.awkward)
        let inputs: [String: Int64] = ["1m": 1_769_904_000_000, "1m_count": 500, "we\"ird": -3, "premium": .max]
        let text = JSONText.text(inputs)
        #expect(try JSONDecoder().decode([String: Int64].self, from: Data(text.utf8)) == inputs)
        #expect(text.hasPrefix("{\"1m\":1769904000000,\"1m_count\":500,"), "keys sorted: \(text)")
        #expect(JSONText.text([String: Int64]()) == "{}")
    }
}
