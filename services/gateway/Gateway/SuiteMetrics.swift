import Contracts
import Foundation
import Hummingbird
import Postgres
import Redis

/// `GET /api/v1/metrics`: the suite's current figures, read from what every service publishes
/// (heartbeats, streams, tables) — never from another service's port — with a health score.
///
/// The health score starts at 100 and loses (floored at 0):
/// - 25 for each expected service without a ready instance;
/// - 30 × the share of tracked symbols whose data is stale (see `/api/v1/websocket/status`);
/// - 20 × the share of ingest's WebSocket connections that are down;
/// - up to 15 for persister lag, 1 per 1,000 `candles` entries not yet stored;
/// - up to 15 for routine job lag, 1 per 100 jobs not yet taken by inference.
struct SuiteMetrics: Sendable {
    let postgres: PostgresPool
    let redis: RedisClient
    let keys: RedisKeys
    let health: SuiteHealth
    let status: StatusRoutes

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/v1/metrics") { _, _ in try JSONResponse.make(try await sample()) }
    }

    struct ServiceFigures: Encodable, Sendable {
        var service: String
        var expected: Bool
        var instances: Int
        var ready: Int
        var restarts: Int
        var cpuPercent: Double
        var rssBytes: Int64
    }

    struct Ingest: Encodable, Sendable {
        var framesPerSecond: Double
        var candlesPerSecond: Double
        var persisterLag: Int
        var connections: Int
        var connected: Int
        var trackedSymbols: Int
        var staleSymbols: Int
    }

    struct Inference: Encodable, Sendable {
        var jobsPerSecond: Double
        var analysed: Int
        var signals: Int
        /// Queue wait + compute of the latest analyses (each instance's last 1,024), the
        /// slowest live instance's median and 99th percentile; null before any analysis.
        @OrNull var latencyP50Ms: Double?
        @OrNull var latencyP99Ms: Double?
    }

    struct Jobs: Encodable, Sendable {
        var routine: StatusRoutes.Queue
        var onDemand: StatusRoutes.Queue
    }

    struct DeadLetters: Encodable, Sendable {
        var candles: Int
        var jobs: Int
    }

    struct Signals: Encodable, Sendable {
        var open: Int
        var last24h: Int
    }

    struct Binance: Encodable, Sendable {
        /// 429 answers seen by the live instances since they started.
        var rateLimited: Int
        /// 418 answers (bans) seen by the live instances since they started.
        var banned: Int
    }

    struct Sample: Encodable, Sendable {
        /// Redis's clock, Unix ms.
        var time: Int64
        var score: Int
        var services: [ServiceFigures]
        var ingest: Ingest
        var inference: Inference
        var jobs: Jobs
        var deadLetters: DeadLetters
        var signals: Signals
        var binance: Binance
    }

    /// What one sample read, beside the sample: the monitor's alert rules judge these.
    struct Snapshot: Sendable {
        var sample: Sample
        var instances: [SuiteHealth.Instance]
        var ingest: [StatusRoutes.Instance]
        var freshness: [StatusRoutes.SymbolFreshness]
        /// The newest kline event time of any tracked symbol (the exchange's clock).
        var exchangeTime: Int64?
    }

    func sample() async throws -> Sample { try await snapshot().sample }

    func snapshot() async throws -> Snapshot {
        let time = try await redisTime()
        let instances = try await health.instances()
        var services: [String: ServiceFigures] = [:]
        for name in health.expected { services[name] = ServiceFigures(service: name, expected: true, instances: 0, ready: 0, restarts: 0, cpuPercent: 0, rssBytes: 0) }
        var rateLimited = 0, banned = 0, persisterLag = 0
        var framesPerSecond = 0.0, candlesPerSecond = 0.0, jobsPerSecond = 0.0
        var analysed = 0, signalsMade = 0
        var latencyP50: Double?, latencyP99: Double?
        for instance in instances {
            let fields = instance.fields
            var figures = services[instance.service]
                ?? ServiceFigures(service: instance.service, expected: false, instances: 0, ready: 0, restarts: 0, cpuPercent: 0, rssBytes: 0)
            figures.instances += 1
            if health.status(of: instance).0 == .pass { figures.ready += 1 }
            figures.restarts += Int(fields[HeartbeatField.restarts] ?? "") ?? 0
            figures.cpuPercent += Double(fields[HeartbeatField.cpuPercent] ?? "") ?? 0
            figures.rssBytes += Int64(fields[HeartbeatField.rssBytes] ?? "") ?? 0
            services[instance.service] = figures
            rateLimited += Int(fields[HeartbeatField.binance429] ?? "") ?? 0
            banned += Int(fields[HeartbeatField.binance418] ?? "") ?? 0
            switch instance.service {
            case "ingest":
                framesPerSecond += Double(fields["frames_per_second"] ?? "") ?? 0
                candlesPerSecond += Double(fields["closed_candles_per_second"] ?? "") ?? 0
                // Every ingest instance reads the same group's lag: the largest is the freshest.
                persisterLag = max(persisterLag, Int(fields[HeartbeatField.persisterLag] ?? "") ?? 0)
            case "inference":
                jobsPerSecond += Double(fields["jobs_per_second"] ?? "") ?? 0
                analysed += Int(fields["analysed"] ?? "") ?? 0
                signalsMade += Int(fields["signals"] ?? "") ?? 0
                if let p50 = Double(fields["latency_p50_ms"] ?? ""), p50.isFinite { latencyP50 = max(latencyP50 ?? p50, p50) }
                if let p99 = Double(fields["latency_p99_ms"] ?? ""), p99.isFinite { latencyP99 = max(latencyP99 ?? p99, p99) }
            default:
                break
            }
        }
        let ingestInstances = StatusRoutes.ingestInstances(instances)
        let connections = ingestInstances.flatMap(\.connections)
        let (newest, freshness) = try await status.freshness()
        let routine = try await status.queue(keys.jobs)
        let counts = try await postgres.query("""
            SELECT (SELECT count(*) FROM signals WHERE status = 'open')::bigint,
                   (SELECT count(*) FROM signals WHERE created_at > now() - interval '1 day')::bigint
            """).first
        let ingest = Ingest(
            framesPerSecond: framesPerSecond, candlesPerSecond: candlesPerSecond, persisterLag: persisterLag,
            connections: connections.count, connected: connections.filter { $0.connectedSince != nil }.count,
            trackedSymbols: freshness.count, staleSymbols: freshness.filter(\.stale).count)
        let list = services.values.sorted { $0.service < $1.service }
        let sample = Sample(
            time: time,
            score: Self.score(services: list, ingest: ingest, jobLag: (routine.lag ?? 0) + routine.pending),
            services: list, ingest: ingest,
            inference: Inference(
                jobsPerSecond: jobsPerSecond, analysed: analysed, signals: signalsMade, latencyP50Ms: latencyP50, latencyP99Ms: latencyP99),
            jobs: Jobs(routine: routine, onDemand: try await status.queue(keys.jobsNow)),
            deadLetters: DeadLetters(candles: try await redis.xlen(keys.candlesDead), jobs: try await redis.xlen(keys.jobsDead)),
            signals: Signals(open: try counts?.decode(0, as: Int.self) ?? 0, last24h: try counts?.decode(1, as: Int.self) ?? 0),
            binance: Binance(rateLimited: rateLimited, banned: banned))
        return Snapshot(sample: sample, instances: instances, ingest: ingestInstances, freshness: freshness, exchangeTime: newest)
    }

    /// The health score (see the type's documentation).
    static func score(services: [ServiceFigures], ingest: Ingest, jobLag: Int) -> Int {
        var score = 100.0
        score -= 25 * Double(services.filter { $0.expected && $0.ready == 0 }.count)
        if ingest.trackedSymbols > 0 { score -= 30 * Double(ingest.staleSymbols) / Double(ingest.trackedSymbols) }
        if ingest.connections > 0 { score -= 20 * Double(ingest.connections - ingest.connected) / Double(ingest.connections) }
        score -= min(15, Double(ingest.persisterLag) / 1_000)
        score -= min(15, Double(jobLag) / 100)
        return max(0, Int(score.rounded()))
    }

    /// Redis's `TIME`, Unix ms.
    func redisTime() async throws -> Int64 { try await redis.time() }
}
