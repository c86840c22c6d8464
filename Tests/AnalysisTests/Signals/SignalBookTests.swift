import Testing
import Analysis
import Core

private typealias F = SignalFixtures

@Suite struct SignalBookTests {
    let long = Consensus(votes: HeadKind.allCases.prefix(5).map { F.vote($0, .long) }, rules: ConsensusRules())

    /// Close time of minute `index`.
    func at(_ index: Int64) -> Int64 { F.base + (index + 1) * F.minute - 1 }

    @Test func oneOpenSignalPerSymbol() throws {
        var book = SignalBook()
        guard case .opened(let first) = book.propose(long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, at: at(0))
        else {
            Issue.record("first signal not opened")
            return
        }
        // Past the cooldown but the first one is still open.
        let again = book.propose(long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, at: at(90))
        #expect(again == .unavailable(.open(first)))
        // Other symbols and the other market are independent.
        guard case .opened = book.propose(long, symbol: "ETHUSDT", market: .futures, entry: 10, atr: 1, at: at(1)) else {
            Issue.record("ETHUSDT blocked")
            return
        }
        guard case .opened = book.propose(long, symbol: "BTCUSDT", market: .spot, entry: 100, atr: 2, at: at(1)) else {
            Issue.record("spot BTCUSDT blocked")
            return
        }
        #expect(book.openSignals.count == 3)
    }

    @Test func cooldownRunsFromCreationNotResolution() throws {
        var book = SignalBook()
        guard case .opened = book.propose(long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, at: at(0)) else {
            Issue.record("not opened")
            return
        }
        // Resolved by the target at minute 10.
        let hit = book.resolve(with: F.oneMinute(10, open: 101, high: 107, low: 100, close: 106))
        let resolved = try #require(hit)
        #expect(resolved.outcome.status == .won)
        #expect(book.openSignals.isEmpty)
        #expect(book.resolve(with: F.flat(11, 50)) == nil)

        let until = at(0) + 60 * F.minute
        #expect(book.availability(symbol: "BTCUSDT", market: .futures, at: at(30)) == .coolingDown(until: until))
        #expect(
            book.propose(long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, at: until - 1)
                == .unavailable(.coolingDown(until: until)))
        guard case .opened(let second) = book.propose(long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, at: until)
        else {
            Issue.record("not opened after the cooldown")
            return
        }
        #expect(second.createdAt == until)
        #expect(book.lastSignalAt[SignalBook.Key(market: .futures, symbol: "BTCUSDT")] == until)
    }

    @Test func neutralAndUnsizeableProposalsOpenNothing() {
        var book = SignalBook()
        let neutral = Consensus(votes: [], rules: ConsensusRules())
        #expect(book.propose(neutral, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, at: at(0)) == .neutral)
        #expect(book.propose(long, symbol: "BTCUSDT", market: .futures, entry: 100, atr: .nan, at: at(0)) == .invalidLevels)
        #expect(book.openSignals.isEmpty)
        #expect(book.lastSignalAt.isEmpty)
    }

    @Test func restoredStateKeepsBothRules() throws {
        let stored = try #require(
            Signal(direction: .short, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2, createdAt: at(0), rules: SignalRules()))
        var book = SignalBook(openSignals: [stored], lastSignalAt: [SignalBook.Key(market: .spot, symbol: "SOLUSDT"): at(5)])
        #expect(book.availability(symbol: "BTCUSDT", market: .futures, at: at(100)) == .open(stored))
        #expect(book.availability(symbol: "SOLUSDT", market: .spot, at: at(10)) == .coolingDown(until: at(5) + 60 * F.minute))
        let gap = book.resolve(with: F.oneMinute(3, open: 104, high: 105, low: 103, close: 104))
        let resolved = try #require(gap)
        #expect(resolved.outcome.status == .lost)
        #expect(resolved.outcome.exitPrice == 104)
    }
}
