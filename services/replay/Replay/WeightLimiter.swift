import Synchronization

/// Binance's per-IP request-weight limit as a pure state machine: each request adds its weight
/// to the client's count for the current wall-clock minute; past the limit the client is
/// answered 429 until the minute ends, and a client that keeps sending more than
/// `requestsAfter429BeforeBan` requests while limited is banned (418) for `banMillis`.
///
/// Time is passed in (Unix milliseconds of real time), so it is tested without sleeping.
struct WeightLimiter: Sendable {
    struct Configuration: Sendable, Equatable {
        /// Weight allowed per minute.
        var limit: Int
        /// Requests tolerated after the first 429 of a window; one more is banned.
        var requestsAfter429BeforeBan: Int
        /// How long a ban lasts.
        var banMillis: Int64
    }

    /// What to answer one request.
    enum Decision: Sendable, Equatable {
        /// Serve it; `usedWeight` is the client's weight this minute, this request included.
        case allowed(usedWeight: Int)
        /// 429 until the minute ends, `retryAfter` seconds away.
        case rateLimited(usedWeight: Int, retryAfter: Int)
        /// 418 until `untilMillis`, `retryAfter` seconds away.
        case banned(usedWeight: Int, untilMillis: Int64, retryAfter: Int)
    }

    private struct Client {
        var windowStart: Int64
        var used = 0
        /// Requests sent in this window after its first 429.
        var requestsWhileLimited: Int?
        var bannedUntil: Int64?
    }

    static let windowMillis: Int64 = 60_000

    let configuration: Configuration
    private var clients: [String: Client] = [:]

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Counts a request of `weight` from `client` at `nowMillis` and decides its answer.
    mutating func admit(client key: String, weight: Int, nowMillis: Int64) -> Decision {
        let windowStart = Self.windowStart(nowMillis)
        var client = clients[key] ?? Client(windowStart: windowStart)
        if client.windowStart != windowStart {
            client.windowStart = windowStart
            client.used = 0
            client.requestsWhileLimited = nil
        }
        defer {
            clients[key] = client
            if clients.count > 4_096 { prune(nowMillis: nowMillis) }
        }

        if let until = client.bannedUntil {
            if nowMillis < until {
                return .banned(usedWeight: client.used, untilMillis: until, retryAfter: Self.seconds(until - nowMillis))
            }
            client.bannedUntil = nil
        }

        let windowEnd = windowStart + Self.windowMillis
        if let strikes = client.requestsWhileLimited {
            let count = strikes + 1
            client.requestsWhileLimited = count
            if count > configuration.requestsAfter429BeforeBan {
                let until = nowMillis + configuration.banMillis
                client.bannedUntil = until
                client.requestsWhileLimited = nil
                return .banned(usedWeight: client.used, untilMillis: until, retryAfter: Self.seconds(until - nowMillis))
            }
            client.used += max(weight, 0)
            return .rateLimited(usedWeight: client.used, retryAfter: Self.seconds(windowEnd - nowMillis))
        }

        client.used += max(weight, 0)
        if client.used > configuration.limit {
            client.requestsWhileLimited = 0
            return .rateLimited(usedWeight: client.used, retryAfter: Self.seconds(windowEnd - nowMillis))
        }
        return .allowed(usedWeight: client.used)
    }

    /// The client's weight in the current minute (0 for a client not seen this minute).
    func usedWeight(client key: String, nowMillis: Int64) -> Int {
        guard let client = clients[key], client.windowStart == Self.windowStart(nowMillis) else { return 0 }
        return client.used
    }

    /// Forgets every count, limit and ban.
    mutating func reset() {
        clients.removeAll()
    }

    /// Drops clients whose window has passed and who are not banned.
    private mutating func prune(nowMillis: Int64) {
        let current = Self.windowStart(nowMillis)
        clients = clients.filter { _, client in
            client.windowStart == current || (client.bannedUntil ?? .min) > nowMillis
        }
    }

    /// The start of the wall-clock minute holding `millis`.
    static func windowStart(_ millis: Int64) -> Int64 {
        millis - ((millis % windowMillis) + windowMillis) % windowMillis
    }

    /// Whole seconds covering `millis`, at least 1 (a `Retry-After` of 0 would invite a retry storm).
    static func seconds(_ millis: Int64) -> Int {
        max(1, Int((millis + 999) / 1000))
    }
}

/// The REST server's rate limits: one ``WeightLimiter`` per market behind a lock, on real time.
final class MarketWeightLimits: Sendable {
    private let limiters: Mutex<[ReplayMarket: WeightLimiter]>
    private let wallMillis: @Sendable () -> Int64

    init(options: ReplayOptions, wallMillis: @escaping @Sendable () -> Int64) {
        var limiters: [ReplayMarket: WeightLimiter] = [:]
        for market in ReplayMarket.allCases {
            let limit = market == .spot ? options.spotWeightLimit : options.futuresWeightLimit
            limiters[market] = WeightLimiter(
                configuration: .init(
                    limit: limit, requestsAfter429BeforeBan: options.requestsAfter429BeforeBan,
                    banMillis: Int64(options.banSeconds) * 1000))
        }
        self.limiters = Mutex(limiters)
        self.wallMillis = wallMillis
    }

    /// Counts a request and decides its answer.
    func admit(market: ReplayMarket, client: String, weight: Int) -> WeightLimiter.Decision {
        let now = wallMillis()
        return limiters.withLock { limiters in
            limiters[market]?.admit(client: client, weight: weight, nowMillis: now) ?? .allowed(usedWeight: 0)
        }
    }

    func limit(_ market: ReplayMarket) -> Int {
        limiters.withLock { $0[market]?.configuration.limit ?? 0 }
    }

    /// Forgets every count, limit and ban of both markets.
    func reset() {
        limiters.withLock { limiters in
            for market in limiters.keys { limiters[market]?.reset() }
        }
    }
}
