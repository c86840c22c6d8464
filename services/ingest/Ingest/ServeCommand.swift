import ArgumentParser
import Analysis
import Binance
import CandleStore
import Contracts
import Core
import Foundation
import REST
import ServiceLifecycle
import ServiceRuntime
import Threads

/// `alphapulse-ingest serve`: the long-running ingest.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Ingest the tracked symbols' 1m klines over WebSocket, backfill gaps, persist candles and rollups.",
        discussion: """
            Several instances share the symbols through shard leases in Redis (ingest.shards); each also runs a \
            persister in the consumer group on the candles stream.
            """
    )

    @OptionGroup public var options: ServiceOptions

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let app = try await ServiceApp(service: "ingest", config: config)
        let runtime = IngestRuntime(context: app.context)
        try await app.run(runtime.services, stats: { await runtime.status.stats() })
    }
}

/// Everything `serve` runs, wired from the configuration.
struct IngestRuntime: Sendable {
    let services: [any Service]
    let status: IngestStatus

    init(context: ServiceContext) {
        let config = context.config
        let settings = config.ingest
        let keys = RedisKeys(prefix: config.redis.prefix)
        let metrics = IngestMetrics()
        // Closed klines must keep flowing to Redis and PostgreSQL even when frame reading keeps
        // the cooperative pool busy: the flush and persist loops get a thread of their own.
        let dataPath = ThreadExecutor(label: "ap.persist")
        let store = CandleStore(postgres: context.postgres)
        let sink = KlineSink(redis: context.redis, keys: keys, settings: .init(maxBytes: settings.sinkMaxBytes), metrics: metrics, logger: context.logger)
        let rest = context.binanceClient()
        let restEndpoints = ConnectionManager.Endpoints(spot: config.binance.spotRESTURL, futures: config.binance.futuresRESTURL)
        let backfiller = Backfiller(
            client: rest, endpoints: restEndpoints, sink: sink,
            settings: .init(
                firstCandles: settings.backfillFirstCandles, maxLookbackHours: settings.backfillMaxHours,
                history: settings.backfillHistory ? AnalysisWindows.standard.depth : [], concurrency: settings.backfillConcurrency),
            metrics: metrics, logger: context.logger,
            historyStore: .init(
                count: { market, symbol, interval, from, to in
                    try await store.count(market: market, symbol: symbol, interval: interval, from: from, to: to)
                },
                insert: { rows in try await store.insertHistory(rows) }),
            firstStored: { market, symbol in try await store.firstOpenTime(market: market, symbol: symbol, interval: .oneMinute) }
        ) { market, symbol in
            try await store.lastOpenTime(market: market, symbol: symbol, interval: .oneMinute)
        }
        // Minutes that did not fit in memory during a Redis outage come back from Binance.
        sink.onOverflow { market, symbol, range in backfiller.requestRange(market, symbol, from: range.lowerBound, to: range.upperBound) }
        var limits: [Market: ConnectionLimits] = [:]
        limits[.futures] = ConnectionLimits(
            streamsPerConnection: settings.streamsPerConnectionFutures, messagesPerSecond: settings.messagesPerSecondFutures,
            connectionAttempts: settings.connectsPer5m)
        limits[.spot] = ConnectionLimits(
            streamsPerConnection: settings.streamsPerConnectionSpot, messagesPerSecond: settings.messagesPerSecondSpot,
            connectionAttempts: settings.connectsPer5m)
        let manager = ConnectionManager(
            endpoints: .init(spot: config.binance.spotWSURL, futures: config.binance.futuresWSURL), limits: limits,
            settings: .init(
                connectionSilence: .milliseconds(Int64(settings.connectionSilenceSeconds * 1000)),
                symbolSilence: .milliseconds(Int64(settings.symbolSilenceSeconds * 1000)),
                rotateAfter: .milliseconds(Int64(settings.rotateAfterHours * 3_600_000)),
                reconnectMin: settings.reconnectMinSeconds, reconnectMax: settings.reconnectMaxSeconds),
            sink: sink, metrics: metrics, logger: context.logger
        ) { market, symbols in backfiller.requestSinceLastStored(market, symbols) }
        let leases = ShardLeases(
            redis: context.redis, keys: keys, shards: settings.shards, ttl: .milliseconds(Int64(settings.leaseTTLSeconds * 1000)),
            instance: context.instance, logger: context.logger)
        let ingest = StreamIngestService(
            watcher: SymbolWatcher(redis: context.redis, keys: keys), leases: leases, manager: manager, sink: sink, redis: context.redis,
            keys: keys, shards: settings.shards, balancePeriod: .milliseconds(Int64(settings.leaseTTLSeconds * 1000 / 3)), logger: context.logger,
            flushExecutor: dataPath)
        let checker = ConsistencyChecker(
            interval: .milliseconds(Int64(settings.consistencyIntervalSeconds * 1000)), lookbackHours: settings.backfillMaxHours,
            settle: .seconds(20), backfiller: backfiller, sink: sink,
            symbols: { ingest.ownedSymbols },
            quiet: {
                // Only while nothing is on its way: a queued or in-flight minute is no gap.
                guard sink.isDrained, let groups = try? await context.redis.xinfoGroups(keys.candles) else { return false }
                let persister = groups.first { $0.name == RedisKeys.Group.persister }
                return (persister?.lag ?? 0) + (persister?.pending ?? 0) <= settings.flushRows
            },
            gaps: { market, symbol, from, to in
                // Only after the symbol's first stored minute in the window: older history is the
                // first-start backfill's business, not a gap.
                guard let first = try await store.candles(market: market, symbol: symbol, interval: .oneMinute, from: from, to: to + 60_000, limit: 1).first
                else { return [] }
                return MinuteRanges.ranges(try await store.missingMinutes(market: market, symbol: symbol, from: first.openTime, to: to + 60_000))
            }, logger: context.logger)
        let persister = Persister(
            redis: context.redis, keys: keys, consumer: context.instance,
            settings: .init(batchRows: settings.flushRows, claimIdle: .milliseconds(Int64(settings.claimIdleSeconds * 1000))),
            metrics: metrics, logger: context.logger, executor: dataPath
        ) { candles in
            _ = try await store.upsert(candles)
        }
        let trimmer = CandleStreamTrimmer(
            redis: context.redis, keys: keys, softLength: settings.candlesMaxLength, hardLength: settings.candlesHardMaxLength, metrics: metrics,
            logger: context.logger
        ) { reason in context.readiness.setDegraded("candles_stream", reason) }
        let stall = Duration.milliseconds(Int64(settings.stallSeconds * 1000))
        context.readiness.watch(persister.progress, limit: stall)
        context.readiness.watch(ingest.flushProgress, limit: stall)
        status = IngestStatus(
            manager: manager, metrics: metrics, owned: { ingest.ownedSymbols }, shards: { leases.owned.count },
            backfillPending: { backfiller.outstanding }, redis: context.redis,
            keys: keys)
        var background: [BackgroundService] = []
        if settings.derivatives {
            let watcher = SymbolWatcher(redis: context.redis, keys: keys)
            let fetcher = DerivativesFetcher(
                client: rest, futuresURL: config.binance.futuresRESTURL, store: DerivativesStore(postgres: context.postgres), redis: context.redis,
                keys: keys, symbols: { try await watcher.current()?.symbols[.futures].map { $0.sorted() } ?? [] },
                now: { sink.exchangeNow(.futures) ?? sink.exchangeNow(.spot) }, logger: context.logger)
            let elector = LeaderElector(
                redis: context.redis, key: keys.lease("derivatives"), instance: context.instance,
                ttl: .milliseconds(Int64(settings.leaseTTLSeconds * 1000)), name: "derivatives", logger: context.logger)
            background.append(BackgroundService(name: "derivatives") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await elector.run() }
                    group.addTask { try await fetcher.run(elector: elector) }
                    try await group.next()
                    group.cancelAll()
                }
            })
        }
        services = [persister, ingest, BackgroundService(name: "backfill") { try await backfiller.run() },
                    BackgroundService(name: "consistency") { try await checker.run() },
                    BackgroundService(name: "trim") { try await trimmer.run(every: .seconds(5)) }] + background
    }
}

/// A loop run as a service: cancelled at graceful shutdown.
struct BackgroundService: Service {
    let name: String
    let body: @Sendable () async throws -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await body() }
        } catch is CancellationError {
        }
    }
}
