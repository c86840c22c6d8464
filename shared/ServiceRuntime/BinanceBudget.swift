import Contracts
import Core
import Logging
import Metrics
import REST
import Redis

/// The one Binance request-weight budget of the whole suite, kept in Redis: every process that
/// calls Binance REST (symbols, ingest backfill and history, the derivatives fetcher) spends
/// from it, so together they stay under `binance.weight_budget_{spot,futures}` per minute —
/// below Binance's per-IP limits (spot 6,000, futures 2,400), never reaching a 429, let alone
/// a 418 ban.
///
/// - Minutes are Redis `TIME` minutes, one clock for every host. A pool's spend in a minute
///   is `binance:weight:{pool}:{minute}` (expires after two minutes).
/// - A spend that would pass the limit waits for the next minute; a single request heavier than
///   the whole limit still goes out alone in an empty minute, so it cannot wait forever.
/// - `X-MBX-USED-WEIGHT-1M` raises the minute's count to Binance's own figure, which also
///   counts callers outside the suite on the same IP.
/// - A 429 or 418 sets `binance:blocked:{pool}` for its `Retry-After`: nobody sends to that
///   pool until it expires.
/// - Redis unreachable: the spend throws and the request is not sent (the caller retries).
///
/// Metrics: `alphapulse.binance.weight_spent` and `alphapulse.binance.budget_waits` (`pool`).
public struct BinanceBudget: RequestBudget {
    let redis: RedisClient
    let keys: RedisKeys
    let limits: [String: Int]
    let logger: Logger

    /// - Parameter limits: weight per minute, per pool (`spot`, `futures`).
    public init(redis: RedisClient, keys: RedisKeys, limits: [String: Int], logger: Logger) {
        self.redis = redis
        self.keys = keys
        self.limits = limits
        self.logger = logger
    }

    /// The budget of a service process, from `binance.weight_budget_spot` and `_futures`.
    public init(context: ServiceContext) {
        self.init(
            redis: context.redis, keys: RedisKeys(prefix: context.config.redis.prefix),
            limits: [Market.spot.rawValue: context.config.binance.weightBudgetSpot, Market.futures.rawValue: context.config.binance.weightBudgetFutures],
            logger: context.logger)
    }

    /// Spends `weight` now if the minute has room and the pool is not blocked; otherwise
    /// returns how long to wait (ms) before asking again and spends nothing.
    public func trySpend(_ weight: Int, from pool: String) async throws -> Int64 {
        let limit = limits[pool] ?? Int.max
        return Int64(try await redis.integer([
            "EVAL", RedisArgument(Self.spendScript), "2", RedisArgument(keys.binanceWeight(pool)), RedisArgument(keys.binanceBlocked(pool)),
            RedisArgument(String(weight)), RedisArgument(String(limit)),
        ]))
    }

    public func spend(_ weight: Int, from pool: String) async throws {
        while true {
            let wait = try await trySpend(weight, from: pool)
            if wait <= 0 {
                Counter(label: "alphapulse.binance.weight_spent", dimensions: [("pool", pool)]).increment(by: weight)
                return
            }
            Counter(label: "alphapulse.binance.budget_waits", dimensions: [("pool", pool)]).increment()
            logger.debug("Binance weight budget: waiting", metadata: ["pool": "\(pool)", "wait_ms": "\(wait)"])
            // A little past the boundary, spread so waiting processes do not all ask at once.
            try await Task.sleep(for: .milliseconds(wait + Int64.random(in: 5...250)))
        }
    }

    public func observe(usedWeight: Int, in pool: String) async {
        do {
            _ = try await redis.integer([
                "EVAL", RedisArgument(Self.observeScript), "1", RedisArgument(keys.binanceWeight(pool)), RedisArgument(String(usedWeight)),
            ])
        } catch {
            logger.debug("Binance weight budget: used weight not recorded", metadata: ["error": "\(error)"])
        }
    }

    public func block(_ pool: String, for duration: Duration) async {
        let milliseconds = max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        do {
            _ = try await redis.integer([
                "EVAL", RedisArgument(Self.blockScript), "1", RedisArgument(keys.binanceBlocked(pool)), RedisArgument(String(milliseconds)),
            ])
            logger.warning("Binance asked everyone to stop: pool blocked", metadata: ["pool": "\(pool)", "blocked_ms": "\(milliseconds)"])
        } catch {
            logger.warning("Binance weight budget: block not recorded", metadata: ["pool": "\(pool)", "error": "\(error)"])
        }
    }

    /// The weight spent in `pool` in the current minute (Redis `TIME`).
    public func spent(_ pool: String) async throws -> Int {
        try await redis.integer(["EVAL", RedisArgument(Self.spentScript), "1", RedisArgument(keys.binanceWeight(pool))])
    }

    /// Returns 0 after spending, or the milliseconds to wait.
    static let spendScript = """
        local blocked = redis.call('PTTL', KEYS[2])
        if blocked > 0 then return blocked end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local key = KEYS[1] .. ':' .. math.floor(now / 60000)
        local used = tonumber(redis.call('GET', key) or '0')
        local want = tonumber(ARGV[1])
        if used > 0 and used + want > tonumber(ARGV[2]) then return 60000 - now % 60000 end
        redis.call('INCRBY', key, want)
        redis.call('PEXPIRE', key, 120000)
        return 0
        """

    static let observeScript = """
        local t = redis.call('TIME')
        local key = KEYS[1] .. ':' .. math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / 60000)
        local used = tonumber(ARGV[1])
        if used > tonumber(redis.call('GET', key) or '0') then
          redis.call('SET', key, used, 'PX', 120000)
          return 1
        end
        return 0
        """

    static let blockScript = """
        if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
          redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
          return 1
        end
        return 0
        """

    static let spentScript = """
        local t = redis.call('TIME')
        local key = KEYS[1] .. ':' .. math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / 60000)
        return tonumber(redis.call('GET', key) or '0')
        """
}

extension ServiceContext {
    /// A REST client for Binance from the configuration, spending from the suite's one
    /// weight budget (`BinanceBudget`) for every request given a cost.
    public func binanceClient() -> RESTClient {
        RESTClient(
            configuration: .init(
                timeout: .milliseconds(Int64(config.binance.restTimeoutSeconds * 1000)), maxRetries: config.binance.restMaxRetries,
                budget: BinanceBudget(context: self)),
            logger: logger)
    }
}
