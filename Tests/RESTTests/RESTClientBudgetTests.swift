import Foundation
import Hummingbird
import REST
import Synchronization
import TestSupport
import Testing

/// A budget that records what the client tells it, and refuses when told to.
final class RecordingBudget: RequestBudget {
    struct Calls {
        var spent: [(pool: String, weight: Int)] = []
        var observed: [(pool: String, used: Int)] = []
        var blocked: [(pool: String, duration: Duration)] = []
    }
    let calls = Mutex(Calls())
    let refuse: Bool

    init(refuse: Bool = false) { self.refuse = refuse }

    struct Unreachable: Error {}

    func spend(_ weight: Int, from pool: String) async throws {
        if refuse { throw Unreachable() }
        calls.withLock { $0.spent.append((pool, weight)) }
    }
    func observe(usedWeight: Int, in pool: String) async { calls.withLock { $0.observed.append((pool, usedWeight)) } }
    func block(_ pool: String, for duration: Duration) async { calls.withLock { $0.blocked.append((pool, duration)) } }
}

@Suite("RESTClient weight budget")
struct RESTClientBudgetTests {
    static func client(_ budget: RecordingBudget) -> RESTClient {
        RESTClient(configuration: .init(
            timeout: .seconds(60), connectTimeout: .seconds(30), maxRetries: 3, backoffBase: .milliseconds(10), backoffCap: .milliseconds(50),
            maxRetryAfterWait: .seconds(5), budget: budget))
    }

    /// Every attempt spends the request's weight (a retry costs weight at Binance too); the
    /// server's used-weight count is reported; a 429 blocks the pool for everyone for its
    /// Retry-After; a request without a cost spends nothing.
    @Test func everyAttemptSpendsAndTheServersAnswersReachTheBudget() async throws {
        let hits = Atomic<Int>(0)
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in
                if hits.add(1, ordering: .relaxed).newValue == 1 {
                    return Reply.json(#"{"code":-1003,"msg":"Too many requests"}"#, status: .tooManyRequests,
                                      headers: ["Retry-After": "1", "X-MBX-USED-WEIGHT-1M": "2401"])
                }
                return Reply.json(tickerJSON, headers: ["X-MBX-USED-WEIGHT-1M": "7"])
            }
            router.get("ticker") { _, _ in Reply.json(tickerJSON) }
        } _: { base, _ in
            let budget = RecordingBudget()
            let client = Self.client(budget)
            let response = try await client.get(base + "/klines", cost: RequestCost(pool: "futures", weight: 5))
            #expect(response.attempts == 2)
            _ = try await client.get(base + "/ticker")
            let calls = budget.calls.withLock { $0 }
            #expect(calls.spent.map(\.pool) == ["futures", "futures"])
            #expect(calls.spent.map(\.weight) == [5, 5])
            #expect(calls.observed.map(\.used) == [2401, 7])
            #expect(calls.blocked.map(\.pool) == ["futures"])
            #expect(calls.blocked.map(\.duration) == [.seconds(1)])
        }
    }

    /// A budget that cannot be consulted fails the request with `budget`, and nothing is sent.
    @Test func anUnreachableBudgetSendsNothing() async throws {
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in Reply.json(tickerJSON) }
        } _: { base, log in
            let client = Self.client(RecordingBudget(refuse: true))
            await #expect(throws: RESTError.self) { try await client.get(base + "/klines", cost: RequestCost(pool: "spot", weight: 2)) }
            do {
                _ = try await client.get(base + "/klines", cost: RequestCost(pool: "spot", weight: 2))
            } catch let error as RESTError {
                #expect(error.code == .budget)
            }
            #expect(log.count("/klines") == 0)
        }
    }
}
