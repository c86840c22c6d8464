import Core

/// Every Redis key, channel and stream name the suite uses, built from the configured prefix
/// (`redis.prefix`, default `ap:`). Writers and readers take names from here only.
///
/// | name | type | writer → readers | value |
/// |---|---|---|---|
/// | `symbols` | string | symbols → all | `SymbolList` JSON |
/// | `symbols:changed` | pub/sub | symbols → ingest, scheduler | `SymbolListChange` JSON |
/// | `symbols:refresh` | string | operators → symbols | any value asks for a refresh |
/// | `kline:{market}:{symbol}` | hash | ingest → gateway, inference | `LatestKline` |
/// | `mark:{symbol}` | hash | ingest → inference, gateway | `MarkPrice` |
/// | `candles` | stream | ingest → persister group | `CandleEntry` |
/// | `candles:stored` | stream | persister → scheduler, gateway | `StoredCandles` |
/// | `candles:dead` | stream | persister → operators, gateway | `DeadLetter` |
/// | `jobs` | stream | scheduler → inference group | `AnalysisJob` |
/// | `jobs:now` | stream | gateway → inference group (read first) | `AnalysisJob` with a reply key |
/// | `jobs:dead` | stream | inference → operators, gateway | `DeadLetter` |
/// | `reply:{requester}` | list, short TTL | inference → gateway | on-demand results (`OnDemandReply`); each gateway instance reads its own (`reply:gateway:{instance}`) with one blocking pop |
/// | `signals` | stream + pub/sub | inference → gateway, notifiers | new signals and outcomes |
/// | `jobs:queued:{kind}:{market}:{symbol}` | string, PX | scheduler → inference (deletes it) | id of the routine job of that kind waiting |
/// | `scheduler:status` | hash | scheduler → gateway | `SchedulerStatus` |
/// | `scheduler:position` | string | scheduler (fenced) | last symbol enqueued, `MarketSymbol.positionText` |
/// | `health:{service}:{instance}` | hash, TTL | every service → gateway | `HeartbeatField` names |
/// | `restarts:{service}:{instance}` | integer | every service | starts of a stable instance id |
/// | `running:{service}:{instance}` | string, PX (a week) | every service | "pid:token" of the run of that instance id; deleted at graceful shutdown, so a start that finds another run's follows an unclean exit |
/// | `crashes:{service}:{instance}` | hash | every service | unclean exits of a stable instance id: `count`, `at` (ms of Redis `TIME` at the start that found one) |
/// | `ratelimit:{key prefix}` | hash, PX | every gateway | an API key's token bucket: `tokens`, `at` (ms of Redis `TIME`) |
/// | `metrics:history` | capped list | gateway monitor → gateway | samples |
/// | `alerts` | pub/sub | gateway monitor → WebSocket, notifiers | alert events |
/// | `lease:{name}` / `lock:{name}` | string, PX | lease holders | the holder's fencing value |
/// | `ingest:members` | hash | ingest instances | shard balancing |
/// | `binance:weight:{pool}:{minute}` | integer, PX | every Binance REST caller | request weight spent in that minute of Redis `TIME` (pool `spot` or `futures`) |
/// | `binance:blocked:{pool}` | string, PX | every Binance REST caller | set for a 429's `Retry-After` or a 418 ban: nobody sends until it expires |
public struct RedisKeys: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    // Symbols
    public var symbols: String { prefix + "symbols" }
    public var symbolsChanged: String { prefix + "symbols:changed" }
    public var symbolsRefresh: String { prefix + "symbols:refresh" }

    // Market data
    public func kline(_ market: Market, _ symbol: String) -> String { "\(prefix)kline:\(market.rawValue):\(symbol)" }
    public func mark(_ symbol: String) -> String { "\(prefix)mark:\(symbol)" }
    public var candles: String { prefix + "candles" }
    public var candlesStored: String { prefix + "candles:stored" }
    public var candlesDead: String { prefix + "candles:dead" }

    // Analysis
    public var jobs: String { prefix + "jobs" }
    public var jobsNow: String { prefix + "jobs:now" }
    public var jobsDead: String { prefix + "jobs:dead" }
    /// A requester's reply list; replies name their job, so one list serves many requests.
    public func reply(_ requester: String) -> String { "\(prefix)reply:\(requester)" }
    /// Whether `key` is a reply list of this prefix: inference pushes to no other key a job names.
    public func isReplyKey(_ key: String) -> Bool { key.hasPrefix(prefix + "reply:") && key.utf8.count > prefix.utf8.count + 6 }
    public var signals: String { prefix + "signals" }
    /// The backpressure marker of a symbol's routine jobs of one kind (`AnalysisJob.kind`:
    /// `schedule` or `close`): set when such a job is enqueued, deleted by the inference
    /// instance that commits it, and expiring by itself so a lost job cannot wedge the symbol.
    /// One kind never blocks the other, so a round-robin job still waiting cannot swallow the
    /// analysis after a candle close.
    public func jobQueued(_ market: Market, _ symbol: String, kind: String) -> String {
        "\(prefix)jobs:queued:\(kind):\(market.rawValue):\(symbol)"
    }
    public var schedulerStatus: String { prefix + "scheduler:status" }
    public var schedulerPosition: String { prefix + "scheduler:position" }
    /// The scheduler's leader lease.
    public var schedulerLease: String { lease("scheduler") }

    // Operation
    public func health(_ service: String, _ instance: String) -> String { "\(prefix)health:\(service):\(instance)" }
    /// All heartbeats (a SCAN pattern).
    public var healthPattern: String { prefix + "health:*" }
    public func restarts(_ service: String, _ instance: String) -> String { "\(prefix)restarts:\(service):\(instance)" }
    public func running(_ service: String, _ instance: String) -> String { "\(prefix)running:\(service):\(instance)" }
    public func crashes(_ service: String, _ instance: String) -> String { "\(prefix)crashes:\(service):\(instance)" }
    public var metricsHistory: String { prefix + "metrics:history" }
    /// A token bucket of the gateway's per-key rate limit (`subject`: the key's prefix).
    public func rateLimit(_ subject: String) -> String { "\(prefix)ratelimit:\(subject)" }
    public var alerts: String { prefix + "alerts" }
    public func lease(_ name: String) -> String { "\(prefix)lease:\(name)" }
    public func lock(_ name: String) -> String { "\(prefix)lock:\(name)" }
    public func shardLease(_ shard: Int) -> String { lease("ingest:shard:\(shard)") }
    public var ingestMembers: String { prefix + "ingest:members" }
    /// The base of a pool's per-minute weight counters (the minute is appended by the budget's script).
    public func binanceWeight(_ pool: String) -> String { "\(prefix)binance:weight:\(pool)" }
    /// Present while Binance asked everyone to stop sending to `pool` (429 or 418).
    public func binanceBlocked(_ pool: String) -> String { "\(prefix)binance:blocked:\(pool)" }

    /// Consumer groups.
    public enum Group {
        /// The persister group on `candles`.
        public static let persister = "persister"
        /// The inference group on `jobs` and `jobs:now`.
        public static let inference = "inference"
    }
}
