import Analysis
import Testing
@testable import Ingest

/// The derivatives schedule as a pure state machine on the exchange clock, without sleeping.
@Suite struct DerivativesPlannerTests {
    static let t0: Int64 = 1_770_004_800_000

    @Test func nothingStoredFetchesHistoryOnceThenOncePerPeriod() {
        var planner = DerivativesPlanner()
        let first = planner.due(symbols: ["AUSDT", "BUSDT"], now: Self.t0)
        #expect(first.count == 6 && first.allSatisfy { $0.after == nil }, "every series of every symbol, latest page")
        let again = planner.due(symbols: ["AUSDT", "BUSDT"], now: Self.t0 + 1_000)
        #expect(again.isEmpty, "not again while the retry wait runs")
        planner.stored("AUSDT", .openInterest, newest: Self.t0)
        planner.stored("AUSDT", .longShort, newest: Self.t0)
        planner.stored("AUSDT", .funding, newest: Self.t0 - 3_600_000)
        // A minute later only what brought nothing (B's series) is retried.
        let retried = planner.due(symbols: ["AUSDT", "BUSDT"], now: Self.t0 + 60_000)
        #expect(Set(retried.map(\.symbol)) == ["BUSDT"] && retried.count == 3)
        // Open interest and the ratio again when their next 5-minute sample exists, from the newest stored.
        let early = planner.due(symbols: ["AUSDT"], now: Self.t0 + 299_999)
        #expect(early.isEmpty)
        let next = planner.due(symbols: ["AUSDT"], now: Self.t0 + 300_000)
        #expect(Set(next.map(\.series)) == [.openInterest, .longShort] && next.allSatisfy { $0.after == Self.t0 })
        // Funding once per 8 hours after its newest event.
        let beforeFunding = planner.due(symbols: ["AUSDT"], now: Self.t0 + 7 * 3_600_000 - 1)
        #expect(beforeFunding.allSatisfy { $0.series != .funding })
        let atFunding = planner.due(symbols: ["AUSDT"], now: Self.t0 + 7 * 3_600_000)
        #expect(atFunding.contains { $0.series == .funding && $0.after == Self.t0 - 3_600_000 })
    }

    @Test func aFetchWithNothingNewWaitsTheRetryNotThePeriod() {
        var planner = DerivativesPlanner()
        planner.seed(["AUSDT": [.openInterest: Self.t0, .longShort: Self.t0, .funding: Self.t0]])
        let due = planner.due(symbols: ["AUSDT"], now: Self.t0 + 300_000)
        #expect(due.count == 2)
        planner.stored("AUSDT", .openInterest, newest: nil)  // published a little after the boundary
        let tooSoon = planner.due(symbols: ["AUSDT"], now: Self.t0 + 300_000 + 59_999)
        #expect(tooSoon.isEmpty)
        let retried = planner.due(symbols: ["AUSDT"], now: Self.t0 + 360_000).map(\.series.rawValue).sorted()
        #expect(retried == ["long_short", "open_interest"])
    }

    @Test func premiumIsSampledOncePerFiveMinutesAndDroppedSymbolsAreForgotten() {
        var planner = DerivativesPlanner()
        let first = planner.premiumDue("AUSDT", now: Self.t0)
        let soon = planner.premiumDue("AUSDT", now: Self.t0 + 30_000)
        #expect(first && !soon)
        planner.stored("AUSDT", .premium, newest: Self.t0)
        let beforePeriod = planner.premiumDue("AUSDT", now: Self.t0 + 299_999)
        let atPeriod = planner.premiumDue("AUSDT", now: Self.t0 + 300_000)
        #expect(!beforePeriod && atPeriod)
        planner.seed(["BUSDT": [.funding: Self.t0]])
        planner.keep(["AUSDT"])
        #expect(planner.newest.keys.allSatisfy { $0.symbol == "AUSDT" })
        let returning = planner.due(symbols: ["BUSDT"], now: Self.t0)
        #expect(returning.count == 3, "a symbol tracked again fetches its latest page again (stored rows are kept)")
    }
}
