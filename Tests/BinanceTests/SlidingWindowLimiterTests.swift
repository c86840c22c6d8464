import Binance
import Testing

@Suite struct SlidingWindowLimiterTests {
    /// Sends `count` messages as fast as the pacer allows from `start`, returning send times.
    static func burst(_ pacer: inout SlidingWindowLimiter, count: Int, from start: Int64) -> [Int64] {
        var now = start
        var times: [Int64] = []
        for _ in 0..<count {
            now = pacer.nextAllowedTime(at: now)
            let allowed = pacer.tryAcquire(at: now)
            #expect(allowed)
            times.append(now)
        }
        return times
    }

    /// The most events in any window of `window` ms.
    static func peak(_ times: [Int64], window: Int64) -> Int {
        var best = 0
        for (index, start) in times.enumerated() {
            best = max(best, times[index...].prefix { $0 < start + window }.count)
        }
        return best
    }

    @Test func pacingNeverExceedsTheLimitWithHeadroom() {
        for limits in [ConnectionLimits.spot, .futures] {
            var pacer = SlidingWindowLimiter.messagePacer(limits)
            #expect(pacer.limit == limits.messagesPerSecond - 1)
            let times = Self.burst(&pacer, count: 100, from: 1_000_000)
            #expect(Self.peak(times, window: 1_000) == limits.messagesPerSecond - 1)
            // A burst at full speed: 100 messages take about 100 / (limit - 1) seconds, no longer.
            let seconds = (times.last! - times.first!) / 1_000
            #expect(seconds == Int64(100 / (limits.messagesPerSecond - 1) - 1) || seconds == Int64(100 / (limits.messagesPerSecond - 1)))
        }
    }

    @Test func forcedPongsCountAgainstTheBudget() {
        var pacer = SlidingWindowLimiter.messagePacer(.spot)  // 4 per second
        pacer.record(at: 0)  // a PONG that could not wait
        pacer.record(at: 10)
        let third = pacer.tryAcquire(at: 20)
        let fourth = pacer.tryAcquire(at: 30)
        #expect(third && fourth)
        #expect(!pacer.isAllowed(at: 40))
        #expect(pacer.nextAllowedTime(at: 40) == 1_000)
        let early = pacer.tryAcquire(at: 999)
        let onTime = pacer.tryAcquire(at: 1_000)
        #expect(!early && onTime)
        #expect(pacer.nextAllowedTime(at: 1_000) == 1_010)
        var times: [Int64] = [0, 10, 20, 30, 1_000]
        var now: Int64 = 1_000
        for _ in 0..<20 {
            now = pacer.nextAllowedTime(at: now + 3)
            pacer.record(at: now)
            times.append(now)
        }
        #expect(Self.peak(times, window: 1_000) <= 4)
    }

    @Test func connectionAttemptsAreLimitedPerFiveMinutes() {
        var limiter = SlidingWindowLimiter.connectionAttempts(.futures)
        #expect(limiter.limit == 299 && limiter.window == 300_000)
        for second in 0..<299 {
            let allowed = limiter.tryAcquire(at: Int64(second) * 100)
            #expect(allowed)
        }
        let overBudget = limiter.tryAcquire(at: 30_000)
        #expect(!overBudget)
        // The first attempt (t=0) leaves the window 5 minutes later.
        #expect(limiter.nextAllowedTime(at: 30_000) == 300_000)
        #expect(!limiter.isAllowed(at: 299_999))
        let afterWindow = limiter.tryAcquire(at: 300_000)
        #expect(afterWindow)
        #expect(limiter.nextAllowedTime(at: 300_000) == 300_100)
        // After a quiet spell the whole budget is back.
        var quiet = limiter
        for index in 0..<299 {
            let allowed = quiet.tryAcquire(at: 1_000_000 + Int64(index))
            #expect(allowed)
        }
        #expect(!quiet.isAllowed(at: 1_000_299))
    }
}
