/// A request-weight budget shared beyond one client: every process that calls one API from one
/// IP draws from it, so together they stay under the server's limit (Binance counts weight per
/// IP and minute, and answers 429 and then 418 bans past it).
///
/// A ``RESTClient`` whose configuration has a budget spends a request's ``RequestCost`` before
/// every attempt (a retry costs weight too), reports the server's own count of used weight
/// after every response, and blocks the pool for everyone on a 429 or 418.
public protocol RequestBudget: Sendable {
    /// Waits until `weight` may be spent in `pool`, then spends it.
    /// - Throws: when the budget cannot be consulted; the request is then not sent.
    func spend(_ weight: Int, from pool: String) async throws
    /// The server's count of weight used in the current window (`X-MBX-USED-WEIGHT-1M`), which
    /// includes weight spent by callers outside the budget.
    func observe(usedWeight: Int, in pool: String) async
    /// The server asked every caller to stop (429 `Retry-After`, 418 ban) for `duration`.
    func block(_ pool: String, for duration: Duration) async
}

/// What one request costs: its weight in a named pool (e.g. `futures`, `spot`).
public struct RequestCost: Sendable, Hashable {
    public var pool: String
    public var weight: Int

    public init(pool: String, weight: Int) {
        precondition(weight >= 0, "a request's weight is not negative")
        self.pool = pool
        self.weight = weight
    }
}
