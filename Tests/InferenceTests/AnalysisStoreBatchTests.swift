import Analysis
import Core
@testable import Inference
import Postgres
import Synchronization
import Testing
import TestSupport

/// Several symbols' analyses in one transaction: each sees its own symbol's signal state, an
/// analysed moment is skipped without deciding, and a resolution and a new signal of one
/// symbol land together.
@Suite struct AnalysisStoreBatchTests {
    static let t0: Int64 = 1_769_904_000_000 + 20 * 86_400_000

    static func pending(_ symbol: String, _ moment: Int64, _ job: String) -> PendingAnalysis {
        PendingAnalysis(
            market: .futures, symbol: symbol, moment: moment, jobID: job, reason: "schedule", inputs: ["1m": moment],
            missingHeads: ["sentiment"], queueWaitMilliseconds: 3, computeMilliseconds: 1)
    }

    @Test func eachSymbolDecidesOnItsOwnStateInOneTransaction() async throws {
        try await TestStores.with("batch_commit") { stores in
            let store = AnalysisStore(postgres: stores.pool)
            let consensus = Consensus(votes: [], rules: ConsensusRules())
            let rules = SignalRules()
            let opened = try #require(Signal(direction: .long, symbol: "AUSDT", market: .futures, entry: 100, atr: 2, createdAt: Self.t0 + 59_999, rules: rules))
            let first = try await store.commit(batch: [
                .init(Self.pending("AUSDT", Self.t0, "a1")) { _ in SignalDecision(consensus: consensus, resolved: nil, opened: opened) },
                .init(Self.pending("BUSDT", Self.t0, "b1")) { _ in SignalDecision(consensus: consensus, resolved: nil, opened: nil) },
                .init(Self.pending("CUSDT", Self.t0 + 86_400_000, "c1")) { _ in SignalDecision(consensus: consensus, resolved: nil, opened: nil) },
            ])
            #expect(first.count == 3 && first.allSatisfy { $0 != nil }, "three analyses, two day partitions")
            let signalID = try #require(first[0]?.signalID)
            #expect(first[1]?.signalID == nil && first[2]?.signalID == nil)

            let later = Self.t0 + 600_000
            let resolved = ResolvedSignal(signal: opened, outcome: Outcome(status: .won, resolvedAt: later + 59_999, exitPrice: 106, returnR: 2))
            let next = try #require(Signal(direction: .short, symbol: "AUSDT", market: .futures, entry: 106, atr: 2, createdAt: later + 59_999, rules: rules))
            let seen = Mutex<[String: SignalState]>([:])
            let second = try await store.commit(batch: [
                .init(Self.pending("BUSDT", Self.t0, "b2")) { state in
                    seen.withLock { $0["BUSDT"] = state }
                    return SignalDecision(consensus: consensus, resolved: nil, opened: nil)
                },
                .init(Self.pending("AUSDT", later, "a2")) { state in
                    seen.withLock { $0["AUSDT"] = state }
                    return SignalDecision(consensus: consensus, resolved: resolved, opened: next)
                },
            ])
            #expect(second[0] == nil, "an analysed moment is skipped")
            let states = seen.withLock { $0 }
            #expect(states["BUSDT"] == nil, "and not decided")
            #expect(states["AUSDT"]?.open?.id == signalID && states["AUSDT"]?.lastSignalAt == Self.t0 + 59_999)
            #expect(second[1]?.resolvedSignalID == signalID)
            let newID = try #require(second[1]?.signalID)
            #expect(newID != signalID)

            let signals = try await stores.pool.query("SELECT id, status, exit_price::float8, outcome_r, job_id FROM signals ORDER BY id")
            #expect(signals.count == 2)
            #expect(try signals[0].decode(1, as: String.self) == "won" && signals[0].decode(2, as: Double.self) == 106 && signals[0].decode(3, as: Double.self) == 2)
            #expect(try signals[1].decode(1, as: String.self) == "open" && signals[1].decode(4, as: String.self) == "a2")
            let analyses = try await stores.pool.query("""
                SELECT job_id, coalesce(signal_id, 0), missing_heads, inputs->>'1m', queue_wait_ms FROM analyses ORDER BY job_id
                """)
            #expect(try analyses.map { try $0.decode(0, as: String.self) } == ["a1", "a2", "b1", "c1"])
            #expect(try analyses.map { try $0.decode(1, as: Int64.self) } == [signalID, newID, 0, 0])
            #expect(try analyses[0].decode(2, as: [String].self) == ["sentiment"] && analyses[0].decode(3, as: String.self) == String(Self.t0))
            #expect(try analyses[0].decode(4, as: Double.self) == 3)
        }
    }
}
