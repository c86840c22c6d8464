import Foundation
import Testing
import Analysis
import Core

private typealias F = SignalFixtures

@Suite struct SignalTests {
    static let created = F.base + F.minute - 1

    func consensus(_ direction: Direction) -> Consensus {
        let votes = HeadKind.allCases.prefix(6).map { F.vote($0, direction) }
        return Consensus(votes: votes, rules: ConsensusRules())
    }

    @Test func longLevelsFromATR() throws {
        let signal = try #require(
            Signal(
                consensus: consensus(.long), symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2,
                createdAt: Self.created, rules: SignalRules()))
        #expect(signal.direction == .long)
        #expect(signal.stop == 97)  // entry − 1.5 × ATR
        #expect(signal.risk == 3)
        #expect(signal.target1 == 106)  // entry + 2R
        #expect(signal.target2 == 109)  // entry + 3R
        #expect(signal.createdAt == Self.created)
        #expect(signal.expiresAt == Self.created + 240 * F.minute)
        #expect(signal.agreeing.count == 6)
        #expect(signal.votes.count == 6)
        #expect(abs(signal.probability - 0.8) < 1e-12)
        #expect(abs(signal.confidence - 0.9) < 1e-12)
    }

    @Test func shortLevelsAreMirrored() throws {
        let signal = try #require(
            Signal(
                consensus: consensus(.short), symbol: "ETHUSDT", market: .spot, entry: 100, atr: 2,
                createdAt: Self.created, rules: SignalRules(stopATRMultiple: 2, expiryMinutes: 30)))
        #expect(signal.direction == .short)
        #expect(signal.stop == 104)
        #expect(signal.risk == 4)
        #expect(signal.target1 == 92)
        #expect(signal.target2 == 88)
        #expect(signal.expiresAt == Self.created + 30 * F.minute)
        #expect(signal.returnR(exitingAt: 96) == 1)
    }

    @Test func noSignalWithoutDirectionOrUsableATR() {
        let long = consensus(.long)
        let rules = SignalRules()
        #expect(
            Signal(consensus: consensus(.neutral), symbol: "X", market: .spot, entry: 100, atr: 2, createdAt: 0, rules: rules)
                == nil)
        for atr in [0, -1, .nan, .infinity] {
            #expect(Signal(consensus: long, symbol: "X", market: .spot, entry: 100, atr: atr, createdAt: 0, rules: rules) == nil)
        }
        #expect(Signal(consensus: long, symbol: "X", market: .spot, entry: .nan, atr: 1, createdAt: 0, rules: rules) == nil)
    }

    @Test func signalRulesDecodeMinutes() throws {
        let json = #"{"expiry_minutes": 120, "cooldown_minutes": 15, "win_at": "target2"}"#
        let rules = try JSONDecoder().decode(SignalRules.self, from: Data(json.utf8))
        #expect(rules.expiryMilliseconds == 120 * F.minute)
        #expect(rules.cooldownMilliseconds == 15 * F.minute)
        #expect(rules.winAt == .target2)
        #expect(rules.stopATRMultiple == 1.5 && rules.target1R == 2 && rules.target2R == 3)
        #expect(try JSONDecoder().decode(SignalRules.self, from: JSONEncoder().encode(rules)) == rules)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SignalRules.self, from: Data(#"{"expiry_minutes": 0}"#.utf8))
        }
    }

    @Test func signalJSONUsesSnakeCase() throws {
        let signal = try #require(
            Signal(direction: .long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, createdAt: 1, rules: SignalRules()))
        let json = try #require(String(data: JSONEncoder().encode(signal), encoding: .utf8))
        #expect(json.contains("\"created_at\":1"))
        #expect(json.contains("\"expires_at\""))
        #expect(try JSONDecoder().decode(Signal.self, from: Data(json.utf8)) == signal)
    }
}
