import Synchronization
import Testing
@testable import Replay

@Suite struct FixedTests {
    @Test(arguments: ["0.10380000", "87000.1", "0", "242160.4", "-1.50", "0.00000001", "123456789.123456789"])
    func printsExactlyWhatItParsed(text: String) throws {
        let value = try #require(Fixed(Substring(text)))
        #expect(value.description == text)
    }

    @Test func rescalesToTheSeriesScale() throws {
        #expect(Fixed("0.1", scale: 4)?.description == "0.1000")
        #expect(Fixed("12", scale: 2)?.units == 1200)
        #expect(Fixed("0.12345", scale: 4) == nil, "more decimals than the scale cannot be represented exactly")
    }

    @Test(arguments: ["", "-", "1.2.3", "1e5", "abc", "\u{0661}\u{0662}", "99999999999999999999"])
    func rejectsWhatIsNotAPlainDecimal(text: String) {
        #expect(Fixed(Substring(text)) == nil)
    }
}

/// Real time that tests move by hand.
final class FakeWall: Sendable {
    let seconds = Mutex<Double>(1_000)
    func now() -> Double { seconds.withLock { $0 } }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

@Suite struct ReplayClockTests {
    @Test func advancesSpeedSimulatedSecondsPerRealSecond() {
        let wall = FakeWall()
        let clock = ReplayClock(start: 1_769_904_000_000, speed: 60, wall: { wall.now() })
        #expect(clock.nowMillis() == 1_769_904_000_000)
        wall.advance(1.5)
        #expect(clock.nowMillis() == 1_769_904_090_000)
        #expect(clock.realSeconds(until: 1_769_904_150_000) == 1)
        clock.advance(byMillis: 60_000)
        #expect(clock.nowMillis() == 1_769_904_150_000)
        #expect(clock.realSeconds(until: 1_769_904_000_000) == 0)
    }

    @Test func speedZeroFreezesTime() {
        let wall = FakeWall()
        let clock = ReplayClock(start: 5_000, speed: 0, wall: { wall.now() })
        wall.advance(100)
        #expect(clock.nowMillis() == 5_000)
        #expect(clock.realSeconds(until: 6_000) == .infinity)
    }
}
