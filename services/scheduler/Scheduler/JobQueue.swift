import Contracts
import Core
import Redis

/// Enqueues analysis jobs, fenced by the scheduler's lease: one Lua script checks that the
/// lease still holds this leader's token, sets each symbol's waiting-job marker (only if
/// absent: a symbol with a routine job still waiting is not queued again), adds the jobs whose
/// markers it set, and moves the round-robin position — all or nothing, atomically. A deposed
/// leader's enqueue changes nothing.
public struct JobQueue: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The lease is not this token's: nothing was written.
        case fenced
        /// Per job, in order: true when added, false when coalesced (its symbol's marker was set).
        case done([Bool])
    }

    let redis: RedisClient
    let keys: RedisKeys
    /// Life of a waiting-job marker, milliseconds.
    let markerTTL: Int64
    let maxLength: Int

    public init(redis: RedisClient, keys: RedisKeys, markerTTL: Int64, maxLength: Int) {
        self.redis = redis
        self.keys = keys
        self.markerTTL = markerTTL
        self.maxLength = maxLength
    }

    /// - Parameters:
    ///   - token: the lease value this leader holds.
    ///   - position: the new round-robin position, or nil to leave it.
    /// - Throws: `RedisError`; nothing or everything was written then (the script is atomic),
    ///   so the caller retries the same jobs.
    public func enqueue(_ jobs: [AnalysisJob], position: MarketSymbol?, token: String) async throws -> Outcome {
        var arguments: [RedisArgument] = ["EVAL", RedisArgument(Self.script), RedisArgument(3 + jobs.count)]
        arguments += [RedisArgument(keys.schedulerLease), RedisArgument(keys.schedulerPosition), RedisArgument(keys.jobs)]
        for job in jobs { arguments.append(RedisArgument(keys.jobQueued(job.market, job.symbol, kind: job.kind))) }
        arguments += [RedisArgument(token), RedisArgument(position?.positionText ?? ""), RedisArgument(maxLength), RedisArgument(markerTTL)]
        for job in jobs {
            let fields = job.fields
            arguments += [RedisArgument(job.id), RedisArgument(fields.count * 2)]
            for (name, value) in fields { arguments += [RedisArgument(name), RedisArgument(value)] }
        }
        let reply = try await redis.send(arguments: arguments).checked()
        if case .integer(-1) = reply { return .fenced }
        guard let flags = reply.array, flags.count == jobs.count else {
            throw UnexpectedReply(detail: "the enqueue script answered \(reply) for \(jobs.count) jobs")
        }
        return .done(flags.map { $0.int == 1 })
    }

    /// The current round-robin position (nil before the first batch, or when unreadable as one).
    public func position() async throws -> MarketSymbol? {
        guard let text = try await redis.get(keys.schedulerPosition), !text.isEmpty else { return nil }
        return try? MarketSymbol(positionText: text)
    }

    /// KEYS: lease, position, jobs stream, then one marker per job.
    /// ARGV: token, new position ('' keeps it), MAXLEN, marker TTL ms, then per job: its id, n,
    /// and n field/value arguments.
    static let script = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
        local results = {}
        local at = 5
        for i = 4, #KEYS do
          local id = ARGV[at]
          local n = tonumber(ARGV[at + 1])
          if redis.call('SET', KEYS[i], id, 'NX', 'PX', ARGV[4]) then
            local command = {'XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*'}
            for j = 1, n do command[#command + 1] = ARGV[at + 1 + j] end
            redis.call(unpack(command))
            results[#results + 1] = 1
          else
            results[#results + 1] = 0
          end
          at = at + 2 + n
        end
        if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
        return results
        """
}

/// A reply of the enqueue script that it cannot give: Redis or the script is not what we expect.
struct UnexpectedReply: Error, CustomStringConvertible {
    var detail: String
    var description: String { detail }
}
