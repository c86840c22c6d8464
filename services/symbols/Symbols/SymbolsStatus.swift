import Contracts
import Core
import Foundation
import REST
import Synchronization

/// What `serve` reports in its heartbeat: leadership, the list's version and counts, and the
/// state of the refresh loop.
public final class SymbolsStatus: Sendable {
    struct State {
        var leader = false
        var version: Int64?
        var lastAttempt: Date?
        var lastSuccess: Date?
        var lastError: String?
        var failures = 0
        var nextRefresh: Date?
        var eligible: [Market: Int] = [:]
        var tracked: [Market: Int] = [:]
    }

    let state = Mutex(State())

    public init() {}

    func update(_ body: (inout State) -> Void) {
        state.withLock { body(&$0) }
    }

    public var isLeader: Bool { state.withLock { $0.leader } }

    /// Heartbeat fields: `leader`, `version`, `last_attempt_at`, `last_success_at`, `last_error`,
    /// `consecutive_failures`, `next_refresh_at`, `eligible_futures`, `eligible_spot`,
    /// `tracked_futures`, `tracked_spot`, `binance_429`, `binance_418`.
    public func stats() -> [(String, String)] {
        let state = state.withLock { $0 }
        func iso(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "" }
        var fields: [(String, String)] = [
            ("leader", state.leader ? "true" : "false"), ("version", state.version.map(String.init) ?? ""),
            ("last_attempt_at", iso(state.lastAttempt)), ("last_success_at", iso(state.lastSuccess)),
            ("last_error", state.lastError ?? ""), ("consecutive_failures", String(state.failures)),
            ("next_refresh_at", iso(state.nextRefresh)),
        ]
        for market in [Market.futures, .spot] {
            fields.append(("eligible_\(market.rawValue)", state.eligible[market].map(String.init) ?? ""))
            fields.append(("tracked_\(market.rawValue)", state.tracked[market].map(String.init) ?? ""))
        }
        fields.append((HeartbeatField.binance429, String(RateLimitTotals.tooManyRequests)))
        fields.append((HeartbeatField.binance418, String(RateLimitTotals.banned)))
        fields.append((HeartbeatField.binance5xx, String(RateLimitTotals.serverErrors)))
        return fields
    }
}
