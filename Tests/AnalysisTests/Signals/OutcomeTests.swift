import Testing
import Analysis
import Core

private typealias F = SignalFixtures

/// Entry 100 at the close of minute 0, ATR 2: long stop 97, target1 106, target2 109
/// (short: stop 103, target1 94, target2 91); expiry 240 minutes later.
@Suite struct OutcomeTests {
    func signal(_ direction: Direction, rules: SignalRules = SignalRules()) -> Signal {
        Signal(
            direction: direction, symbol: "BTCUSDT", market: .futures, entry: 100, atr: 2,
            createdAt: F.base + F.minute - 1, rules: rules)!
    }

    func bar(_ index: Int64, _ open: Double, _ high: Double, _ low: Double, _ close: Double) -> Candle {
        F.oneMinute(index, open: open, high: high, low: low, close: close)
    }

    @Test func longReachesTarget() throws {
        let candles = [bar(1, 100, 101, 99, 100), bar(2, 100, 106.5, 99.5, 105)]
        let outcome = try #require(signal(.long).resolve(candles))
        #expect(outcome.status == .won)
        #expect(outcome.exitPrice == 106)
        #expect(outcome.returnR == 2)
        #expect(outcome.resolvedAt == candles[1].closeTime)
    }

    @Test func longHitsStop() throws {
        let outcome = try #require(signal(.long).resolve([bar(1, 100, 101, 96.9, 98)]))
        #expect(outcome.status == .lost)
        #expect(outcome.exitPrice == 97)
        #expect(outcome.returnR == -1)
    }

    @Test func stopWinsWhenBothFallInOneCandle() throws {
        let long = try #require(signal(.long).resolve([bar(1, 100, 107, 96, 104)]))
        #expect(long.status == .lost)
        #expect(long.returnR == -1)
        let short = try #require(signal(.short).resolve([bar(1, 100, 104, 93, 95)]))
        #expect(short.status == .lost)
        #expect(short.exitPrice == 103)
    }

    @Test func gapThroughStopFillsAtTheWorseOpen() throws {
        let outcome = try #require(signal(.long).resolve([bar(1, 100, 100, 99, 99), bar(2, 95, 96, 94, 95.5)]))
        #expect(outcome.status == .lost)
        #expect(outcome.exitPrice == 95)
        #expect(abs(outcome.returnR - (-5.0 / 3)) < 1e-12)

        let short = try #require(signal(.short).resolve([bar(1, 104, 105, 103.5, 104)]))
        #expect(short.exitPrice == 104)
        #expect(abs(short.returnR - (-4.0 / 3)) < 1e-12)
    }

    @Test func gapBeyondTargetFillsAtTheTarget() throws {
        let outcome = try #require(signal(.long).resolve([bar(1, 110, 111, 95, 110)]))
        #expect(outcome.status == .won)
        #expect(outcome.exitPrice == 106)
        #expect(outcome.returnR == 2)
    }

    @Test func shortReachesTarget() throws {
        let outcome = try #require(signal(.short).resolve([bar(1, 99, 100, 93.9, 94)]))
        #expect(outcome.status == .won)
        #expect(outcome.exitPrice == 94)
        #expect(outcome.returnR == 2)
    }

    @Test func expiresAtTheCloseWithItsReturn() throws {
        let quiet = (1...239).map { bar($0, 100, 101, 99, 100.5) }
        let long = signal(.long)
        #expect(long.resolve(quiet) == nil)
        let last = bar(240, 100.5, 101, 99, 101.5)
        #expect(last.closeTime == long.expiresAt)
        let outcome = try #require(long.resolve(quiet + [last]))
        #expect(outcome.status == .expired)
        #expect(outcome.resolvedAt == long.expiresAt)
        #expect(outcome.exitPrice == 101.5)
        #expect(outcome.returnR == 0.5)

        let short = try #require(signal(.short).resolve(quiet + [last]))
        #expect(short.returnR == -0.5)
    }

    @Test func secondTargetCanBeTheWinningOne() throws {
        let candles = [bar(1, 100, 107, 99, 106), bar(2, 106, 109.5, 105, 109)]
        let rules = SignalRules(winAt: .target2)
        let long = signal(.long, rules: rules)
        #expect(long.resolve(with: candles[0], winAt: .target2) == nil)
        let outcome = try #require(long.resolve(candles, winAt: .target2))
        #expect(outcome.status == .won)
        #expect(outcome.exitPrice == 109)
        #expect(outcome.returnR == 3)
    }

    @Test func ignoresCandlesNotStrictlyAfterCreationOrOfAnotherSymbol() {
        let long = signal(.long)
        #expect(long.resolve(with: bar(0, 100, 120, 80, 100)) == nil)
        let other = F.oneMinute(1, open: 100, high: 120, low: 80, close: 100, symbol: "ETHUSDT")
        #expect(long.resolve(with: other) == nil)
        let spot = F.oneMinute(1, open: 100, high: 120, low: 80, close: 100, market: .spot)
        #expect(long.resolve(with: spot) == nil)
    }
}
