/// The typed configuration every service reads. Built from a `ResolvedConfig`; see
/// `ConfigKeys` for each key's documentation and default.
public struct AlphaPulseConfig: Sendable {
    public struct Database: Sendable {
        /// Holds the password: never log it, use `Redaction.url`.
        public var url: String
        public var poolMin: Int
        public var poolMax: Int
        public var acquireTimeoutSeconds: Double
        public var migrateOnStart: Bool
    }

    public struct Redis: Sendable {
        /// May hold a password: never log it, use `Redaction.url`.
        public var url: String
        public var prefix: String
        public var poolSize: Int
    }

    public struct Binance: Sendable {
        public var spotRESTURL: String
        public var spotWSURL: String
        public var futuresRESTURL: String
        public var futuresWSURL: String
        public var restTimeoutSeconds: Double
        public var restMaxRetries: Int
        /// Request weight per minute all AlphaPulse processes together may spend, per market.
        public var weightBudgetSpot: Int
        public var weightBudgetFutures: Int
    }

    public struct Symbols: Sendable {
        public var futures: Int
        public var spot: Int
        /// UTC hour and minute of the daily refresh.
        public var refreshAt: (hour: Int, minute: Int)
        public var refreshIntervalHours: Double
        /// Spot base assets never tracked (stablecoins, fiat), upper case.
        public var excludedBases: Set<String>
        public var retryMinSeconds: Double
        public var retryMaxSeconds: Double
        public var leaseTTLSeconds: Double
    }

    public struct Candles: Sendable {
        public var primary: CandleInterval
        public var derived: [CandleInterval]
    }

    /// The WebSocket ingest (`ingest.*`).
    public struct Ingest: Sendable {
        public var streamsPerConnectionFutures: Int
        public var streamsPerConnectionSpot: Int
        public var messagesPerSecondFutures: Int
        public var messagesPerSecondSpot: Int
        public var connectsPer5m: Int
        public var connectionSilenceSeconds: Double
        public var symbolSilenceSeconds: Double
        public var rotateAfterHours: Double
        public var reconnectMinSeconds: Double
        public var reconnectMaxSeconds: Double
        public var flushRows: Int
        public var claimIdleSeconds: Double
        public var backfillFirstCandles: Int
        public var backfillConcurrency: Int
        public var backfillMaxHours: Double
        public var backfillHistory: Bool
        public var derivatives: Bool
        public var consistencyIntervalSeconds: Double
        public var shards: Int
        public var leaseTTLSeconds: Double
        public var candlesMaxLength: Int
        public var candlesHardMaxLength: Int
        public var sinkMaxBytes: Int
        public var stallSeconds: Double
    }

    /// How head votes become signals (`consensus.*`, `signals.*`).
    public struct Signals: Sendable {
        public var probabilityFloor: Double
        public var confidenceFloor: Double
        public var minHeads: Int
        /// Weight per head name (`technical`, `rule_based`, …); unlisted heads weigh 1.
        public var weights: [String: Double]
        public var stopATRMultiple: Double
        public var atrInterval: CandleInterval
        public var atrPeriod: Int
        public var target1R: Double
        public var target2R: Double
        /// `target1` or `target2`.
        public var winAt: String
        public var expiryMinutes: Double
        public var cooldownMinutes: Double
    }

    /// The nine heads' stable names, as configuration and JSON spell them.
    public static let headNames = [
        "technical", "sentiment", "volume", "rule_based", "ict", "wyckoff", "harmonic", "market_structure", "crypto_metrics",
    ]

    public struct Runtime: Sendable {
        public var logLevel: String
        public var logFormat: String
        public var metricsIntervalSeconds: Double
        public var heartbeatIntervalSeconds: Double
        public var heartbeatTTLSeconds: Double
        public var shutdownGraceSeconds: Double
        /// Empty means "derive from hostname and pid".
        public var instanceID: String
        public var httpHost: String
        public var ports: [String: Int]
    }

    public var database: Database
    public var redis: Redis
    public var binance: Binance
    public var symbols: Symbols
    public var candles: Candles
    public var analysisBatchSize: Int
    public var analysisBatchIntervalSeconds: Double
    public var signals: Signals
    public var ingest: Ingest
    public var runtime: Runtime
    /// The resolved values behind this struct, for `config` dumps.
    public let resolved: ResolvedConfig

    /// - Throws: `ConfigError` for values that are valid alone but not together.
    public init(_ resolved: ResolvedConfig) throws {
        self.resolved = resolved
        database = Database(
            url: resolved.string("database.url"),
            poolMin: resolved.int("database.pool_min"),
            poolMax: resolved.int("database.pool_max"),
            acquireTimeoutSeconds: resolved.double("database.acquire_timeout_seconds"),
            migrateOnStart: resolved.bool("database.migrate_on_start")
        )
        guard database.poolMin <= database.poolMax else {
            throw ConfigError(
                key: "database.pool_min", origin: resolved.entries["database.pool_min"]?.origin,
                message: "pool_min (\(database.poolMin)) is larger than database.pool_max (\(database.poolMax))"
            )
        }
        redis = Redis(url: resolved.string("redis.url"), prefix: resolved.string("redis.prefix"), poolSize: resolved.int("redis.pool_size"))
        binance = Binance(
            spotRESTURL: Self.trimSlash(resolved.string("binance.spot_rest_url")),
            spotWSURL: Self.trimSlash(resolved.string("binance.spot_ws_url")),
            futuresRESTURL: Self.trimSlash(resolved.string("binance.futures_rest_url")),
            futuresWSURL: Self.trimSlash(resolved.string("binance.futures_ws_url")),
            restTimeoutSeconds: resolved.double("rest.timeout_seconds"),
            restMaxRetries: resolved.int("rest.max_retries"),
            weightBudgetSpot: resolved.int("binance.weight_budget_spot"),
            weightBudgetFutures: resolved.int("binance.weight_budget_futures")
        )
        let refresh = resolved.string("symbols.refresh_at").split(separator: ":").map { Int($0)! }
        symbols = Symbols(
            futures: resolved.int("symbols.futures"),
            spot: resolved.int("symbols.spot"),
            refreshAt: (refresh[0], refresh[1]),
            refreshIntervalHours: resolved.double("symbols.refresh_interval_hours"),
            excludedBases: Set(resolved.list("symbols.excluded_bases").map { $0.filter { !$0.isWhitespace }.uppercased() }),
            retryMinSeconds: resolved.double("symbols.retry_min_seconds"),
            retryMaxSeconds: resolved.double("symbols.retry_max_seconds"),
            leaseTTLSeconds: resolved.double("symbols.lease_ttl_seconds")
        )
        guard symbols.retryMinSeconds <= symbols.retryMaxSeconds else {
            throw ConfigError(
                key: "symbols.retry_min_seconds", origin: resolved.entries["symbols.retry_min_seconds"]?.origin,
                message: "retry_min_seconds (\(symbols.retryMinSeconds)) is larger than symbols.retry_max_seconds (\(symbols.retryMaxSeconds))"
            )
        }
        var derived: [CandleInterval] = []
        for name in resolved.list("candles.derived_intervals") {
            guard let interval = CandleInterval(rawValue: name), interval != .oneMinute else {
                throw ConfigError(
                    key: "candles.derived_intervals", origin: resolved.entries["candles.derived_intervals"]?.origin,
                    message: "'\(name)' is not one of 5m, 15m, 1h, 4h, 1d"
                )
            }
            derived.append(interval)
        }
        candles = Candles(primary: CandleInterval(rawValue: resolved.string("candles.primary_interval"))!, derived: derived.sorted())
        analysisBatchSize = resolved.int("analysis.batch_size")
        analysisBatchIntervalSeconds = resolved.double("analysis.batch_interval_seconds")
        ingest = Ingest(
            streamsPerConnectionFutures: resolved.int("ingest.streams_per_connection_futures"),
            streamsPerConnectionSpot: resolved.int("ingest.streams_per_connection_spot"),
            messagesPerSecondFutures: resolved.int("ingest.messages_per_second_futures"),
            messagesPerSecondSpot: resolved.int("ingest.messages_per_second_spot"),
            connectsPer5m: resolved.int("ingest.connects_per_5m"),
            connectionSilenceSeconds: resolved.double("ingest.connection_silence_seconds"),
            symbolSilenceSeconds: resolved.double("ingest.symbol_silence_seconds"),
            rotateAfterHours: resolved.double("ingest.rotate_after_hours"),
            reconnectMinSeconds: resolved.double("ingest.reconnect_min_seconds"),
            reconnectMaxSeconds: resolved.double("ingest.reconnect_max_seconds"),
            flushRows: resolved.int("ingest.flush_rows"),
            claimIdleSeconds: resolved.double("ingest.claim_idle_seconds"),
            backfillFirstCandles: resolved.int("ingest.backfill_first_candles"),
            backfillConcurrency: resolved.int("ingest.backfill_concurrency"),
            backfillMaxHours: resolved.double("ingest.backfill_max_hours"),
            backfillHistory: resolved.bool("ingest.backfill_history"),
            derivatives: resolved.bool("ingest.derivatives"),
            consistencyIntervalSeconds: resolved.double("ingest.consistency_interval_seconds"),
            shards: resolved.int("ingest.shards"),
            leaseTTLSeconds: resolved.double("ingest.lease_ttl_seconds"),
            candlesMaxLength: resolved.int("ingest.candles_maxlen"),
            candlesHardMaxLength: resolved.int("ingest.candles_hard_maxlen"),
            sinkMaxBytes: resolved.int("ingest.sink_max_bytes"),
            stallSeconds: resolved.double("ingest.stall_seconds")
        )
        var weights: [String: Double] = [:]
        for entry in resolved.list("consensus.weights") where !entry.isEmpty {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, Self.headNames.contains(String(parts[0])), let weight = Double(parts[1]), weight >= 0, weight.isFinite else {
                throw ConfigError(
                    key: "consensus.weights", origin: resolved.entries["consensus.weights"]?.origin,
                    message: "'\(entry)' is not head:weight with a head among \(Self.headNames.joined(separator: ", ")) and a weight ≥ 0"
                )
            }
            weights[String(parts[0])] = weight
        }
        signals = Signals(
            probabilityFloor: resolved.double("consensus.probability_floor"),
            confidenceFloor: resolved.double("consensus.confidence_floor"),
            minHeads: resolved.int("consensus.min_heads"),
            weights: weights,
            stopATRMultiple: resolved.double("signals.stop_atr_multiple"),
            atrInterval: CandleInterval(rawValue: resolved.string("signals.atr_interval"))!,
            atrPeriod: resolved.int("signals.atr_period"),
            target1R: resolved.double("signals.target1_r"),
            target2R: resolved.double("signals.target2_r"),
            winAt: resolved.string("signals.win_at"),
            expiryMinutes: resolved.double("signals.expiry_minutes"),
            cooldownMinutes: resolved.double("signals.cooldown_minutes")
        )
        guard signals.target1R <= signals.target2R else {
            throw ConfigError(
                key: "signals.target1_r", origin: resolved.entries["signals.target1_r"]?.origin,
                message: "target1_r (\(signals.target1R)) is beyond signals.target2_r (\(signals.target2R))"
            )
        }
        var ports: [String: Int] = [:]
        for (path, entry) in resolved.entries where path.hasPrefix("ports.") {
            ports[String(path.dropFirst("ports.".count))] = Int(entry.value)!
        }
        runtime = Runtime(
            logLevel: resolved.string("log.level"),
            logFormat: resolved.string("log.format"),
            metricsIntervalSeconds: resolved.double("metrics.interval_seconds"),
            heartbeatIntervalSeconds: resolved.double("heartbeat.interval_seconds"),
            heartbeatTTLSeconds: resolved.double("heartbeat.ttl_seconds"),
            shutdownGraceSeconds: resolved.double("shutdown.grace_seconds"),
            instanceID: resolved.string("instance.id"),
            httpHost: resolved.string("http.host"),
            ports: ports
        )
        guard runtime.heartbeatTTLSeconds > runtime.heartbeatIntervalSeconds else {
            throw ConfigError(
                key: "heartbeat.ttl_seconds", origin: resolved.entries["heartbeat.ttl_seconds"]?.origin,
                message: "must be longer than heartbeat.interval_seconds, or heartbeats would lapse between writes"
            )
        }
    }

    /// Loads and validates the configuration in one step.
    public static func load(file: String? = nil, environment: [String: String], flags: [String: String] = [:]) throws -> AlphaPulseConfig {
        try AlphaPulseConfig(ConfigLoader().load(file: file, environment: environment, flags: flags))
    }

    private static func trimSlash(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
