/// The `health:{service}:{instance}` hash: a service instance's heartbeat, rewritten every
/// `runtime.heartbeat_seconds` with a TTL, removed at graceful shutdown.
///
/// | field | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `service`, `instance`, `pid`, `host` | who |
/// | `status` | `ready`, `degraded` or `stopping` |
/// | `started_at`, `updated_at` | ISO 8601 |
/// | `checks` | failed readiness checks, comma-separated |
/// | `degraded` | what is degraded and why, `name: reason; …` |
/// | `starts` | how many times this instance id has started (`restarts:{service}:{instance}`) |
/// | `restarts` | `starts - 1` |
/// | `crashes` | unclean exits (killed, crashed) of this instance id found at its starts (`crashes:{service}:{instance}`) |
/// | `crashed_at` | when the latest was found: ms of Redis `TIME` at that start (absent without one) |
/// | `cpu_seconds` | user + system CPU time of the process so far |
/// | `cpu_percent` | share of one core since the previous heartbeat |
/// | `rss_bytes` | resident memory |
/// | `binance_429`, `binance_418` | Binance REST rate-limit and ban answers since start (REST callers) |
/// | `binance_5xx` | Binance REST server errors (5xx) since start (REST callers) |
/// | `persister_lag` | `candles` entries not yet stored: undelivered + pending (ingest) |
///
/// Services add their own stats after these; readers ignore fields they do not know.
public enum HeartbeatField {
    public static let service = "service", instance = "instance", pid = "pid", host = "host", status = "status"
    public static let startedAt = "started_at", updatedAt = "updated_at", checks = "checks", degraded = "degraded"
    public static let starts = "starts", restarts = "restarts", cpuSeconds = "cpu_seconds", cpuPercent = "cpu_percent"
    public static let rssBytes = "rss_bytes", binance429 = "binance_429", binance418 = "binance_418", persisterLag = "persister_lag"
    public static let binance5xx = "binance_5xx", crashes = "crashes", crashedAt = "crashed_at"
}
