import Contracts
import Foundation
import Logging
import Metrics
import Redis

/// Per-key token buckets kept in Redis, so every gateway instance draws from the same bucket:
/// a key may send `burst` requests at once and `rate` per second after that. One Lua script
/// refills and takes a token atomically on Redis's own clock (`TIME`), so neither the
/// gateways' clocks nor their number matters.
///
/// When Redis cannot be reached the request is let through (and counted): the limit protects
/// the suite from a greedy client, and refusing everything during an outage would turn a
/// Redis failure into a full API outage even for the endpoints that read only PostgreSQL.
struct RateLimiter: Sendable {
    let redis: RedisClient
    let keys: RedisKeys
    /// Tokens added per second; 0 turns the limit off.
    let rate: Double
    /// Bucket size: the most requests sent at once.
    let burst: Int
    let logger: Logger

    enum Decision: Equatable {
        case allowed(remaining: Int)
        case limited(retryAfterSeconds: Int)
    }

    var enabled: Bool { rate > 0 }

    /// Takes one token from `subject`'s bucket.
    func admit(_ subject: String) async -> Decision {
        guard enabled else { return .allowed(remaining: burst) }
        do {
            let reply = try await redis.send(arguments: [
                "EVAL", RedisArgument(Self.script), "1", RedisArgument(keys.rateLimit(subject)),
                RedisArgument(String(rate)), RedisArgument(burst),
            ]).checked()
            guard let values = reply.array, values.count == 3, let allowed = values[0].int, let remaining = values[1].int, let wait = values[2].int else {
                throw UnexpectedReply(detail: "the rate-limit script answered \(reply)")
            }
            if allowed == 1 { return .allowed(remaining: remaining) }
            Counter(label: "alphapulse.gateway.rate_limited").increment()
            return .limited(retryAfterSeconds: max(1, (wait + 999) / 1000))
        } catch {
            Counter(label: "alphapulse.gateway.rate_limit_errors").increment()
            logger.warning("rate limit not checked: Redis failed; the request is let through", metadata: ["error": "\(error)"])
            return .allowed(remaining: burst)
        }
    }

    struct UnexpectedReply: Error, CustomStringConvertible {
        let detail: String
        var description: String { detail }
    }

    /// KEYS[1]: the bucket (hash: `tokens`, `at` in ms of Redis time). ARGV: rate per second,
    /// burst. Returns {allowed 0|1, whole tokens left, ms until one token is there}.
    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1])
        local at = tonumber(state[2])
        if tokens == nil or at == nil then
            tokens = burst
            at = now
        end
        if now > at then
            tokens = math.min(burst, tokens + (now - at) * rate / 1000)
            at = now
        end
        local allowed = 0
        local wait = 0
        if tokens >= 1 then
            tokens = tokens - 1
            allowed = 1
        else
            wait = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return {allowed, math.floor(tokens), wait}
        """
}
