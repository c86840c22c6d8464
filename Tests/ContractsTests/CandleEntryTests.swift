import Contracts
import Core
import Testing

@Suite struct CandleEntryTests {
    static let row = CandleRow(
        market: .futures, symbol: "BTCUSDT", openTime: 1_770_004_800_000, closeTime: 1_770_004_859_999, open: "97012.40",
        high: "97100.0", low: "96950.15", close: "97050.9", volume: "123.456", quoteVolume: "11982345.12", trades: 4567,
        takerBuyVolume: "60.1", takerBuyQuoteVolume: "5832211.3", source: .ws)

    static func fields(_ changes: [String: String?] = [:]) -> [(name: String, value: String)] {
        var fields = CandleEntry.encode(row).map { (name: $0.0, value: $0.1) }
        for (name, value) in changes {
            if let index = fields.firstIndex(where: { $0.name == name }) {
                if let value { fields[index].value = value } else { fields.remove(at: index) }
            } else if let value {
                fields.append((name, value))
            }
        }
        return fields
    }

    @Test func roundTrips() throws {
        #expect(try CandleEntry.decode(Self.fields()) == Self.row)
        var backfill = Self.row
        backfill.source = .backfill
        backfill.market = .spot
        #expect(try CandleEntry.decode(CandleEntry.encode(backfill).map { (name: $0.0, value: $0.1) }) == backfill)
    }

    @Test func writesTheCurrentVersionAndReadsThePrevious() throws {
        #expect(Self.fields().first { $0.name == "_v" }?.value == "2")
        // Version 1 wrote the same fields without a version.
        #expect(try CandleEntry.decode(Self.fields(["_v": nil])) == Self.row)
        #expect(try CandleEntry.decode(Self.fields(["_v": "1"])) == Self.row)
        for version in ["3", "0", "2x", "", "-1"] {
            #expect(throws: ContractError.self) { try CandleEntry.decode(Self.fields(["_v": version])) }
            do {
                _ = try CandleEntry.decode(Self.fields(["_v": version]))
            } catch {
                #expect(error.reason == .unsupportedVersion)
            }
        }
    }

    /// Every value `Double(text)` accepts but storage must not.
    @Test(arguments: [
        ("o", "nan"), ("h", "inf"), ("l", "-inf"), ("c", "1e5"), ("v", "0x1p3"), ("q", "-1"), ("V", "+1"), ("Q", " 1"),
        ("o", ""), ("h", "1.2.3"), ("l", "12,5"), ("c", String(repeating: "9", count: 65)),
    ])
    func refusesDecimalsThatAreNotPlain(field: String, value: String) {
        expectRefused([field: value], reason: .badField)
    }

    @Test func refusesTimesOffTheMinuteOrMismatched() {
        expectRefused(["t": "1770004800001", "T": "1770004860000"], reason: .badField)
        expectRefused(["T": "1770004860000"], reason: .badField)
        expectRefused(["T": "1770004800000"], reason: .badField)
        expectRefused(["t": "-60000", "T": "-1"], reason: .badField)
        expectRefused(["t": "1e12"], reason: .badField)
        expectRefused(["t": "999999999999999999999"], reason: .badField)
        expectRefused(["t": "260000000000000000", "T": "260000000000059999"], reason: .badField)
    }

    @Test func refusesNegativeOrNonIntegerCounts() {
        expectRefused(["n": "-1"], reason: .badField)
        expectRefused(["n": "1.5"], reason: .badField)
        expectRefused(["n": "+3"], reason: .badField)
    }

    @Test func refusesBadSymbolsMarketsAndSources() {
        expectRefused(["s": String(repeating: "A", count: 33)], reason: .badField)
        expectRefused(["s": ""], reason: .badField)
        expectRefused(["s": "btcusdt"], reason: .badField)
        expectRefused(["s": "BTC\u{0}USDT"], reason: .badField)
        expectRefused(["m": "margin"], reason: .badField)
        expectRefused(["src": "rollup"], reason: .badField)
        expectRefused(["src": "import"], reason: .badField)
    }

    @Test func refusesMissingFieldsAndEmptyEntries() {
        for name in ["m", "s", "t", "T", "o", "h", "l", "c", "v", "q", "n", "V", "Q", "src"] {
            expectRefused([name: nil], reason: .missingField)
        }
        #expect(throws: ContractError.self) { try CandleEntry.decode([]) }
    }

    private func expectRefused(_ changes: [String: String?], reason: ContractError.Reason, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let row = try CandleEntry.decode(Self.fields(changes))
            Issue.record("accepted \(changes): \(row)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.reason == reason, "\(changes): \(error)", sourceLocation: sourceLocation)
            #expect(!error.detail.isEmpty, sourceLocation: sourceLocation)
        }
    }
}
