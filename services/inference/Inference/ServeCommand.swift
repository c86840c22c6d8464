import Analysis
import ArgumentParser
import Contracts
import Foundation
import Postgres
import ServiceRuntime

/// `alphapulse-inference serve`: one consumer of the analysis job streams.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Analyse the jobs of ap:jobs:now and ap:jobs, store analyses and signals, publish signals and outcomes.",
        discussion: "Run as many as needed, on any host: they share the work as one consumer group (instance.id names each)."
    )

    @OptionGroup public var options: ServiceOptions

    public init() {}

    public func run() async throws {
        let config = try options.load()
        // The per-job reads and the round's commit are prepared once per session; a generic
        // plan (partitions pruned at run time) spares the planner on every run, which otherwise
        // cost more PostgreSQL time than executing them.
        let app = try await ServiceApp(service: "inference", config: config, sessionSettings: ["plan_cache_mode=force_generic_plan"])
        let context = app.context
        let live = LiveAnalysis(
            analyzer: Analyzer(heads: Heads.all(), rules: ConsensusRules(config.signals)), signalRules: SignalRules(config.signals),
            stopATR: StopATR(config.signals))
        let service = InferenceService(
            settings: .init(config: config, consumer: context.instance), store: AnalysisStore(postgres: context.postgres), live: live,
            redis: context.redis, keys: RedisKeys(prefix: config.redis.prefix), logger: context.logger,
            cache: config.resolved.int("inference.cache_max_bytes") > 0 ? CandleCache(maxBytes: config.resolved.int("inference.cache_max_bytes")) : nil)
        context.readiness.watch(service.progress, limit: .seconds(config.ingest.stallSeconds))
        try await app.run([service], stats: { await service.stats() })
    }
}

/// `alphapulse-inference status`: the open signals and the last analyses, from PostgreSQL.
public struct StatusCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print the open signals and the last analyses (from PostgreSQL).")

    @OptionGroup public var options: ServiceOptions

    @Option(help: "How many of the last analyses.")
    var last = 10

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)))
        do {
            print(try await Self.report(pool, last: last))
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    static func report(_ pool: PostgresPool, last: Int) async throws -> String {
        let formatter = ISO8601DateFormatter()
        var lines = ["open signals:"]
        let open = try await pool.query("""
            SELECT id, market, symbol, direction, candle_time, entry::text, stop::text, expires_at, published_at IS NOT NULL
            FROM signals WHERE status = 'open' ORDER BY candle_time
            """)
        if open.isEmpty { lines.append("  none") }
        for row in open {
            lines.append("  #\(try row.decode(0, as: Int64.self)) \(try row.decode(1, as: String.self)) \(try row.decode(2, as: String.self)) "
                + "\(try row.decode(3, as: String.self)) at \(formatter.string(from: try row.decode(4, as: Date.self))), entry "
                + "\(try row.decode(5, as: String.self)), stop \(try row.decode(6, as: String.self)), expires "
                + "\(formatter.string(from: try row.decode(7, as: Date.self)))" + (try row.decode(8, as: Bool.self) ? "" : " (not published yet)"))
        }
        lines.append("last analyses:")
        let recent = try await pool.query("""
            SELECT market, symbol, candle_time, coalesce(direction, 'neutral'), consensus->>'summary', reason, compute_ms
            FROM analyses ORDER BY analyzed_at DESC LIMIT \(last)
            """)
        if recent.isEmpty { lines.append("  none") }
        for row in recent {
            lines.append("  \(try row.decode(0, as: String.self)) \(try row.decode(1, as: String.self)) at "
                + "\(formatter.string(from: try row.decode(2, as: Date.self))): \(try row.decode(4, as: String?.self) ?? "") "
                + "[\(try row.decode(5, as: String?.self) ?? "-"), \(String(format: "%.1f", try row.decode(6, as: Double?.self) ?? 0)) ms]")
        }
        return lines.joined(separator: "\n")
    }
}
