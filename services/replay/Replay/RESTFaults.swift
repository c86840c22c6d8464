import Foundation
import Synchronization

/// REST fault injection: for a while, every Binance REST path answers an error status, hangs
/// without answering, or answers 200 with a damaged body. Set through the control API (`POST /_replay/rest-fault`, which also logs
/// and counts the fault) or directly by tests; durations are real time.
public final class RESTFaults: Sendable {
    /// An active fault.
    public enum Fault: Sendable, Equatable {
        /// Answer this HTTP status with a Binance-style error body.
        case status(Int)
        /// Do not answer until the fault ends (or is cleared).
        case timeout
        /// Answer 200 with a damaged body.
        case body(BodyFault)
    }

    /// How a `body` fault damages a successful answer.
    public enum BodyFault: String, Sendable, Equatable, CaseIterable {
        /// The JSON cut off halfway, as a dropped connection behind a proxy leaves it.
        case truncated
        /// Not JSON at all (an HTML error page, as a CDN sends).
        case malformed
        /// A top-level array cut to its first 3 elements (a list suspiciously short).
        case short
    }

    private struct Active {
        var fault: Fault
        var until: ContinuousClock.Instant
    }

    private let active = Mutex<Active?>(nil)
    private let clock = ContinuousClock()

    public init() {}

    /// Makes every Binance REST path answer `status` for `seconds`.
    public func failWithStatus(_ status: Int, for seconds: Double) {
        set(.status(status), seconds: seconds)
    }

    /// Makes every Binance REST path hang without answering for `seconds`.
    public func hang(for seconds: Double) {
        set(.timeout, seconds: seconds)
    }

    /// Makes every Binance REST path answer 200 with a body damaged by `fault` for `seconds`.
    public func damageBodies(_ fault: BodyFault, for seconds: Double) {
        set(.body(fault), seconds: seconds)
    }

    /// Ends any fault at once; hanging requests are then answered normally.
    public func clear() {
        active.withLock { $0 = nil }
    }

    /// The fault in force now, if any.
    public var current: Fault? {
        let now = clock.now
        return active.withLock { state in
            guard let fault = state else { return nil }
            guard now < fault.until else {
                state = nil
                return nil
            }
            return fault.fault
        }
    }

    /// Seconds until the current fault ends (0 if none).
    public var remainingSeconds: Double {
        let now = clock.now
        guard let until = active.withLock({ $0?.until }), until > now else { return 0 }
        let (seconds, attoseconds) = (until - now).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private func set(_ fault: Fault, seconds: Double) {
        let duration = Duration.milliseconds(Int64((max(0, min(seconds, 86_400)) * 1000).rounded()))
        let until = clock.now.advanced(by: duration)
        active.withLock { $0 = Active(fault: fault, until: until) }
    }

    /// Waits while a timeout fault is in force, checking often so `clear()` releases waiters
    /// promptly; returns early when the task is cancelled.
    func waitWhileHanging() async {
        while current == .timeout, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
