import Testing
@testable import Ingest

/// The watchdog and the exchange clock are pure: every time is passed in, nothing sleeps.
@Suite struct SilenceWatchdogTests {
    static let start: Int64 = 1_000_000

    func watchdog(_ symbols: [String] = ["AUSDT", "BUSDT"]) -> SilenceWatchdog {
        SilenceWatchdog(started: Self.start, connectionLimit: 30_000, symbolLimit: 180_000, symbols: symbols)
    }

    /// The review's M2: a symbol added to a session older than the symbol limit must get the
    /// whole limit from the moment it is subscribed.
    @Test func aSymbolAddedToAnOldSessionIsTimedFromItsSubscription() {
        var dog = watchdog()
        var now = Self.start
        // Three hours of healthy traffic.
        while now < Self.start + 3 * 3_600_000 {
            now += 250
            dog.frame(at: now)
            dog.kline("AUSDT", at: now)
            dog.kline("BUSDT", at: now)
        }
        dog.subscribed(["CUSDT"], at: now)
        #expect(dog.verdict(at: now + 250) == nil)
        dog.frame(at: now + 179_000)
        dog.kline("AUSDT", at: now + 179_000)
        dog.kline("BUSDT", at: now + 179_000)
        #expect(dog.verdict(at: now + 180_000) == nil)
        // Frames keep coming for the others; the new one stays silent past its own limit.
        dog.frame(at: now + 180_001)
        dog.kline("AUSDT", at: now + 180_001)
        dog.kline("BUSDT", at: now + 180_001)
        #expect(dog.verdict(at: now + 180_001) == "no kline for CUSDT for 180 s")
        dog.kline("CUSDT", at: now + 180_001)
        #expect(dog.verdict(at: now + 180_001) == nil)
    }

    @Test func resubscribingAWatchedSymbolKeepsItsTime() {
        var dog = watchdog()
        dog.frame(at: Self.start + 170_000)
        dog.subscribed(["AUSDT"], at: Self.start + 170_000)
        #expect(dog.verdict(at: Self.start + 180_001) == "no kline for AUSDT for 180 s")
    }

    @Test func anUnsubscribedSymbolNoLongerCounts() {
        var dog = watchdog()
        dog.frame(at: Self.start + 180_001)
        dog.kline("BUSDT", at: Self.start + 180_001)
        #expect(dog.verdict(at: Self.start + 180_001) == "no kline for AUSDT for 180 s")
        dog.unsubscribed(["AUSDT"])
        #expect(dog.verdict(at: Self.start + 180_001) == nil)
        // A late kline of a symbol no longer watched does not bring it back.
        dog.kline("AUSDT", at: Self.start + 180_002)
        #expect(dog.since["AUSDT"] == nil)
    }

    @Test func aSilentConnectionIsReplacedWhateverItsSymbols() {
        var dog = watchdog([])
        #expect(dog.verdict(at: Self.start + 30_000) == nil)
        #expect(dog.verdict(at: Self.start + 30_001) == "no frame for 30 s")
        dog.frame(at: Self.start + 30_001)
        #expect(dog.verdict(at: Self.start + 60_001) == nil)
        #expect(dog.verdict(at: Self.start + 60_002) == "no frame for 30 s")
    }
}

@Suite struct ExchangeClockTests {
    static let local: Int64 = 1_800_000_000_000

    func observe(_ clock: inout ExchangeClock, _ event: Int64, local: Int64) -> Bool {
        clock.observe(event: event, local: local)
    }

    @Test func followsEventTimesAndIgnoresOneFarInTheFuture() {
        var clock = ExchangeClock()
        #expect(observe(&clock, 1_770_000_000_000, local: Self.local))
        #expect(observe(&clock, 1_770_000_000_250, local: Self.local + 250))
        // One bogus frame, a year ahead: not taken, "now" stays put.
        #expect(!observe(&clock, 1_801_536_000_000, local: Self.local + 300))
        #expect(clock.now == 1_770_000_000_250)
        // Older frames (other symbols, slightly behind) are fine and do not move it back.
        #expect(observe(&clock, 1_770_000_000_100, local: Self.local + 400))
        #expect(clock.now == 1_770_000_000_250)
        // Real time moving on is followed.
        #expect(observe(&clock, 1_770_000_060_000, local: Self.local + 60_000))
        #expect(clock.now == 1_770_000_060_000)
    }

    @Test func aConsistentRunOfFramesMovesIt() {
        var clock = ExchangeClock(tolerance: 600_000, confirmations: 5)
        // The first frame was the bogus one.
        #expect(observe(&clock, 9_000_000_000_000, local: Self.local))
        for step in 0..<4 {
            // Plausible as old frames, but not yet enough to move the clock back.
            #expect(observe(&clock, 1_770_000_000_000 + Int64(step) * 250, local: Self.local + Int64(step) * 250))
        }
        #expect(clock.now == 9_000_000_000_000)
        #expect(observe(&clock, 1_770_000_001_000, local: Self.local + 1_000))
        #expect(clock.now == 1_770_000_001_000)
    }

    @Test func strayFramesThatDisagreeNeverConfirm() {
        var clock = ExchangeClock(tolerance: 600_000, confirmations: 3)
        #expect(observe(&clock, 1_770_000_000_000, local: Self.local))
        for step in 1...10 {
            // Each stray lands somewhere else in the far future.
            #expect(!observe(&clock, 1_770_000_000_000 + Int64(step) * 86_400_000, local: Self.local + Int64(step)))
        }
        #expect(clock.now == 1_770_000_000_000)
    }
}
