import Foundation
import Testing
@testable import Symbols

@Suite struct RefreshPlanTests {
    func date(_ iso: String) -> Date { try! Date(iso, strategy: .iso8601) }

    @Test func theDailyTimeIsTheNextOneStrictlyAfterNow() {
        #expect(RefreshPlan.nextDaily(after: date("2026-02-02T00:04:59Z"), hour: 0, minute: 5) == date("2026-02-02T00:05:00Z"))
        #expect(RefreshPlan.nextDaily(after: date("2026-02-02T00:05:00Z"), hour: 0, minute: 5) == date("2026-02-03T00:05:00Z"))
        #expect(RefreshPlan.nextDaily(after: date("2026-02-28T23:59:00Z"), hour: 23, minute: 30) == date("2026-03-01T23:30:00Z"))
    }

    @Test func aStoredListOlderThanTheIntervalIsRefreshedAtStart() {
        let now = date("2026-02-02T12:00:00Z")
        let fresh = RefreshPlan(hour: 0, minute: 5, retryMin: 5, retryMax: 900, now: now,
                                lastRefresh: date("2026-02-02T00:05:00Z"), maxAge: 86_400)
        #expect(!fresh.isDue(at: now))
        #expect(fresh.nextDue == date("2026-02-03T00:05:00Z"))
        #expect(fresh.isDue(at: date("2026-02-03T00:05:00Z")))
        let stale = RefreshPlan(hour: 0, minute: 5, retryMin: 5, retryMax: 900, now: now,
                                lastRefresh: date("2026-02-01T11:59:59Z"), maxAge: 86_400)
        #expect(stale.isDue(at: now))
        let never = RefreshPlan(hour: 0, minute: 5, retryMin: 5, retryMax: 900, now: now, lastRefresh: nil, maxAge: 86_400)
        #expect(never.isDue(at: now))
    }

    @Test func failuresBackOffExponentiallyUpToTheCapThenASuccessResets() {
        let now = date("2026-02-02T12:00:00Z")
        var plan = RefreshPlan(hour: 0, minute: 5, retryMin: 5, retryMax: 60, now: now, lastRefresh: nil, maxAge: 86_400)
        // jitter 1 gives the full ceiling: 5, 10, 20, 40, 60, 60.
        let waits = (0..<6).map { _ in plan.failed(at: now, jitter: 1) }
        #expect(waits == [5, 10, 20, 40, 60, 60])
        #expect(plan.failures == 6)
        #expect(plan.nextDue == now.addingTimeInterval(60))
        #expect(!plan.isDue(at: now.addingTimeInterval(59)))
        #expect(plan.isDue(at: now.addingTimeInterval(60)))
        // jitter 0 waits half the ceiling.
        #expect(plan.failed(at: now, jitter: 0) == 30)
        plan.succeeded(at: now)
        #expect(plan.failures == 0 && plan.retryAt == nil)
        #expect(plan.nextDue == date("2026-02-03T00:05:00Z"))
    }
}
