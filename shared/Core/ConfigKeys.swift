/// Every configuration key AlphaPulse reads, with its default.
///
/// The defaults carry the original system's settings: 50 futures + 50 spot symbols refreshed
/// daily, a 1m primary interval with 5m/15m/1h/4h/1d derived, analysis batches of 10 symbols
/// every 60 s, metrics every 30 s and a database pool of 10–30 connections.
public enum ConfigKeys {
    public static let all: [ConfigKey] = [
        // Stores
        ConfigKey("database.url", .url(schemes: ["postgresql", "postgres"]),
                  default: "postgresql://alphapulse@127.0.0.1:55432/alphapulse", secret: true,
                  "PostgreSQL URL: postgresql://user:password@host:port/dbname?sslmode=…"),
        ConfigKey("database.pool_min", .integer(0...1000), default: "10", "Connections kept open in each process's pool."),
        ConfigKey("database.pool_max", .integer(1...1000), default: "30", "Most connections a process opens."),
        ConfigKey("database.acquire_timeout_seconds", .number(0.1...3600), default: "10",
                  "How long a query waits for a free pooled connection before failing."),
        ConfigKey("database.migrate_on_start", .boolean, default: "true", "Apply pending migrations when a service starts."),
        ConfigKey("redis.url", .url(schemes: ["redis"]), default: "redis://127.0.0.1:56379/0", secret: true,
                  "Redis URL: redis://[:password@]host:port/db"),
        ConfigKey("redis.prefix", .string, default: "ap:", "Prefix of every Redis key and channel."),
        ConfigKey("redis.pool_size", .integer(1...256), default: "4", "Redis connections per process for ordinary commands."),

        // Binance
        ConfigKey("binance.spot_rest_url", .url(schemes: ["http", "https"]), default: "https://api.binance.com",
                  "Spot REST base URL."),
        ConfigKey("binance.spot_ws_url", .url(schemes: ["ws", "wss"]), default: "wss://stream.binance.com:9443",
                  "Spot WebSocket base URL; /ws/<stream> and /stream?streams=… are appended."),
        ConfigKey("binance.futures_rest_url", .url(schemes: ["http", "https"]), default: "https://fapi.binance.com",
                  "USDT-M futures REST base URL."),
        ConfigKey("binance.futures_ws_url", .url(schemes: ["ws", "wss"]), default: "wss://fstream.binance.com/market",
                  "USDT-M futures WebSocket base URL (market streams live under /market since April 2026)."),
        ConfigKey("rest.timeout_seconds", .number(0.1...600), default: "10", "Total time allowed for one REST request."),
        ConfigKey("rest.max_retries", .integer(0...20), default: "5", "Retries after connect errors and 5xx answers."),

        // Symbols, candles, analysis
        ConfigKey("symbols.futures", .integer(0...1000), default: "50", "USDT perpetual futures tracked, by 24h quote volume."),
        ConfigKey("symbols.spot", .integer(0...1000), default: "50", "USDT spot pairs tracked, by 24h quote volume."),
        ConfigKey("symbols.refresh_at", .timeOfDay, default: "00:05", "Daily re-ranking time, UTC."),
        ConfigKey("symbols.refresh_interval_hours", .number(0.01...744), default: "24",
                  "A stored list older than this is refreshed at start."),
        ConfigKey("symbols.excluded_bases", .list,
                  default: "USDC,FDUSD,TUSD,BUSD,DAI,USDP,PYUSD,USDE,USD1,RLUSD,XUSD,AEUR,EURI,EUR,GBP,AUD,BRL,TRY,JPY,MXN,ARS,COP,CZK,PLN,RON,UAH,ZAR,NGN,RUB,IDRT,BIDR,BVND",
                  "Base assets never tracked, spot or futures: stablecoins and fiat."),
        ConfigKey("symbols.retry_min_seconds", .number(0.1...86_400), default: "5", "First wait after a failed refresh."),
        ConfigKey("symbols.retry_max_seconds", .number(0.1...86_400), default: "900",
                  "Longest wait between retries of a failing refresh (the wait doubles up to it)."),
        ConfigKey("symbols.lease_ttl_seconds", .number(1...3600), default: "30",
                  "Leader lease of alphapulse-symbols serve; a dead leader is replaced after it."),
        ConfigKey("candles.primary_interval", .choice(["1m"]), default: "1m", "Interval ingested from Binance."),
        ConfigKey("candles.derived_intervals", .list, default: "5m,15m,1h,4h,1d", "Intervals derived from the primary one."),
        ConfigKey("analysis.batch_size", .integer(1...10_000), default: "10", "Symbols per analysis batch."),
        ConfigKey("analysis.batch_interval_seconds", .number(1...86_400), default: "60", "Time between analysis batches."),
        ConfigKey("consensus.probability_floor", .number(0...1), default: "0.6",
                  "A head counts for a direction when its probability is at least this…"),
        ConfigKey("consensus.confidence_floor", .number(0...1), default: "0.7", "…and its confidence at least this."),
        ConfigKey("consensus.min_heads", .integer(1...9), default: "5",
                  "Heads that must agree for a signal (and outnumber the opposite side)."),
        ConfigKey("consensus.weights", .list, default: "",
                  "Head weights in the probability/confidence means, e.g. technical:2,sentiment:0.5 (unlisted heads weigh 1)."),
        ConfigKey("signals.stop_atr_multiple", .number(0.01...100), default: "1.5", "Stop distance from entry, in ATRs."),
        ConfigKey("signals.atr_interval", .choice(["1m", "5m", "15m", "1h", "4h"]), default: "15m", "Candles the stop's ATR is measured on."),
        ConfigKey("signals.atr_period", .integer(2...500), default: "14", "Periods of the stop's ATR (Wilder)."),
        ConfigKey("signals.target1_r", .number(0.1...100), default: "2", "First target, in multiples of the risk (entry to stop)."),
        ConfigKey("signals.target2_r", .number(0.1...100), default: "3", "Second target, in multiples of the risk."),
        ConfigKey("signals.win_at", .choice(["target1", "target2"]), default: "target1", "Which target counts a signal as won."),
        ConfigKey("signals.expiry_minutes", .number(1...100_000), default: "240", "A signal that hit neither stop nor target expires after this."),
        ConfigKey("signals.cooldown_minutes", .number(0...100_000), default: "60", "Least time between two signals of one symbol."),

        // Runtime
        ConfigKey("log.level", .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
                  default: "info", "Lowest level logged."),
        ConfigKey("log.format", .choice(["text", "json"]), default: "text", "text, or json for one JSON object per line."),
        ConfigKey("metrics.interval_seconds", .number(1...3600), default: "30", "How often periodic metrics are sampled."),
        ConfigKey("heartbeat.interval_seconds", .number(0.1...3600), default: "10",
                  "How often a service writes its heartbeat to ap:health:{service}:{instance}."),
        ConfigKey("heartbeat.ttl_seconds", .number(1...86_400), default: "30", "Heartbeat expiry; a silent service disappears after it."),
        ConfigKey("shutdown.grace_seconds", .number(0...3600), default: "20",
                  "How long a service may take to stop gracefully before it is forced."),
        ConfigKey("instance.id", .string, default: "", "Instance name in heartbeats and leases (default: hostname-pid)."),
        ConfigKey("http.host", .string, default: "127.0.0.1", "Address the per-service HTTP port (/metrics, /healthz, /readyz) binds."),
        ConfigKey("ports.symbols", .integer(0...65535), default: "9101", "HTTP port of alphapulse-symbols."),
        ConfigKey("ports.ingest", .integer(0...65535), default: "9102", "HTTP port of alphapulse-ingest."),
        ConfigKey("ports.scheduler", .integer(0...65535), default: "9103", "HTTP port of alphapulse-scheduler."),
        ConfigKey("ports.inference", .integer(0...65535), default: "9104", "HTTP port of alphapulse-inference."),
        ConfigKey("ports.gateway", .integer(0...65535), default: "8080", "HTTP port of alphapulse-gateway (API, /metrics, /healthz)."),
    ]

    public static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })
}
