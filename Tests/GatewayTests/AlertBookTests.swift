@testable import Gateway
import Testing

/// The monitor's alert rules as a pure state machine: thresholds, `for`, hysteresis, rules not
/// measured, subjects gone, takeover, and counter windows. Times are plain numbers.
@Suite struct AlertBookTests {
    static let lag = AlertRule(name: "job_lag", severity: .warning, raise: 100, clear: 20, forMillis: 60_000)
    static let down = AlertRule(name: "store_unreachable", severity: .critical, raise: 1, clear: 0, forMillis: 0)

    static func lag(_ value: Double, subject: String = "jobs") -> AlertObservation {
        AlertObservation(rule: "job_lag", subject: subject, value: value, message: "\(Int(value)) jobs")
    }

    static func raised(_ changes: [AlertBook.Change]) -> [String] {
        changes.compactMap { if case .raise(let observation, _, _) = $0 { observation.fingerprint } else { nil } }
    }

    static func resolved(_ changes: [AlertBook.Change]) -> [String] {
        changes.compactMap { if case .resolve(let fingerprint, _, _) = $0 { fingerprint } else { nil } }
    }

    @Test func raisesOnlyAfterTheConditionHeldForItsDuration() {
        var book = AlertBook(rules: [Self.lag])
        #expect(book.evaluate(at: 0, observations: [Self.lag(150)], measured: ["job_lag"]).isEmpty)
        #expect(book.evaluate(at: 59_999, observations: [Self.lag(150)], measured: ["job_lag"]).isEmpty)
        let changes = book.evaluate(at: 60_000, observations: [Self.lag(150)], measured: ["job_lag"])
        #expect(changes == [.raise(Self.lag(150), severity: .warning, since: 0)])
        // Raised once, however long it lasts.
        #expect(book.evaluate(at: 90_000, observations: [Self.lag(500)], measured: ["job_lag"]).isEmpty)
        #expect(book.firing == ["job_lag:jobs"])
    }

    @Test func aDipBelowTheRaiseThresholdRestartsTheWait() {
        var book = AlertBook(rules: [Self.lag])
        _ = book.evaluate(at: 0, observations: [Self.lag(150)], measured: ["job_lag"])
        #expect(book.evaluate(at: 30_000, observations: [Self.lag(99)], measured: ["job_lag"]).isEmpty)
        #expect(book.evaluate(at: 60_000, observations: [Self.lag(150)], measured: ["job_lag"]).isEmpty)
        #expect(Self.raised(book.evaluate(at: 120_000, observations: [Self.lag(150)], measured: ["job_lag"])) == ["job_lag:jobs"])
    }

    @Test func hysteresisKeepsARaisedAlertUntilTheClearThreshold() {
        var book = AlertBook(rules: [Self.lag])
        _ = book.evaluate(at: 0, observations: [Self.lag(150)], measured: ["job_lag"])
        _ = book.evaluate(at: 60_000, observations: [Self.lag(150)], measured: ["job_lag"])
        // Between the thresholds: still raised, and no second raise when it climbs again.
        #expect(book.evaluate(at: 70_000, observations: [Self.lag(50)], measured: ["job_lag"]).isEmpty)
        #expect(book.evaluate(at: 80_000, observations: [Self.lag(120)], measured: ["job_lag"]).isEmpty)
        #expect(Self.resolved(book.evaluate(at: 90_000, observations: [Self.lag(20)], measured: ["job_lag"])) == ["job_lag:jobs"])
        #expect(book.firing.isEmpty)
        // A new episode waits its full duration again.
        #expect(book.evaluate(at: 100_000, observations: [Self.lag(150)], measured: ["job_lag"]).isEmpty)
    }

    @Test func aRuleNotMeasuredIsLeftAsItWasAndAVanishedSubjectResolves() {
        var book = AlertBook(rules: [Self.lag, Self.down])
        let outage = AlertObservation(rule: "store_unreachable", subject: "redis", value: 1, message: "down")
        let changes = book.evaluate(at: 0, observations: [outage, Self.lag(150, subject: "a"), Self.lag(150, subject: "b")],
                                    measured: ["job_lag", "store_unreachable"])
        #expect(Self.raised(changes) == ["store_unreachable:redis"])
        _ = book.evaluate(at: 60_000, observations: [outage, Self.lag(150, subject: "a"), Self.lag(150, subject: "b")],
                          measured: ["job_lag", "store_unreachable"])
        #expect(book.firing == ["job_lag:a", "job_lag:b", "store_unreachable:redis"])
        // job_lag could not be read: nothing about it changes, even with no observation.
        #expect(book.evaluate(at: 70_000, observations: [outage], measured: ["store_unreachable"]).isEmpty)
        #expect(book.firing.count == 3)
        // Measured again without subject b (gone): b resolves, a stays.
        let after = book.evaluate(at: 80_000, observations: [outage, Self.lag(150, subject: "a")], measured: ["job_lag", "store_unreachable"])
        #expect(Self.resolved(after) == ["job_lag:b"] && Self.raised(after).isEmpty)
    }

    @Test func aMonitorTakingOverNeitherRaisesAgainNorForgets() {
        var book = AlertBook(rules: [Self.lag])
        book.restore(firing: [(rule: "job_lag", subject: "jobs", since: 5)])
        #expect(book.evaluate(at: 100_000, observations: [Self.lag(500)], measured: ["job_lag"]).isEmpty)
        #expect(Self.resolved(book.evaluate(at: 110_000, observations: [Self.lag(0)], measured: ["job_lag"])) == ["job_lag:jobs"])
    }

    @Test func anObservationMaySetItsOwnSeverity() {
        var book = AlertBook(rules: [AlertRule(name: "binance_limited", severity: .warning, raise: 1, clear: 0, forMillis: 0)])
        let ban = AlertObservation(rule: "binance_limited", subject: "418", value: 2, message: "banned", severity: .critical)
        #expect(book.evaluate(at: 0, observations: [ban], measured: ["binance_limited"]) == [.raise(ban, severity: .critical, since: 0)])
    }

    @Test func counterWindowsSumIncreasesAndSurviveRestarts() {
        var window = CounterWindow(windowMillis: 300_000)
        #expect(window.record(["a": 10, "b": 4], at: 0) == 0)  // baselines
        #expect(window.record(["a": 13, "b": 4], at: 30_000) == 3)
        // b restarted: its counter fell to 2, and those 2 are new.
        #expect(window.record(["a": 13, "b": 2], at: 60_000) == 5)
        // A new source sets its baseline only.
        #expect(window.record(["a": 13, "b": 2, "c": 100], at: 90_000) == 5)
        // Increases older than the window drop out.
        #expect(window.record(["a": 14, "b": 2, "c": 100], at: 330_000) == 3)
        #expect(window.record(["a": 14, "b": 2, "c": 100], at: 400_000) == 1)
    }
}
