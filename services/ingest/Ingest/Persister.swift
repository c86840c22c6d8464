import CandleStore
import Core
import Foundation
import Logging
import Metrics
import Redis
import ServiceLifecycle

/// The `persister` consumer group on the `candles` stream: batches closed klines into
/// PostgreSQL (at `flushRows` candles or after `flushInterval`, whichever comes first) and
/// acknowledges them only after the transaction committed, so a crash loses nothing — the
/// unacknowledged entries are re-read on restart (this consumer's own pending entries) or
/// claimed by another persister once idle for `claimIdle` (a dead process's).
///
/// Entries that cannot be decoded are acknowledged and counted
/// (`alphapulse.ingest.dropped_frames{reason="bad_stream_entry"}`): retrying cannot fix them.
/// A failing database is retried with backoff; nothing is acknowledged meanwhile.
public final class Persister: Service, Sendable {
    public struct Settings: Sendable {
        public var flushRows: Int
        public var flushInterval: Duration
        public var claimIdle: Duration
        public init(flushRows: Int, flushInterval: Duration, claimIdle: Duration) {
            self.flushRows = flushRows
            self.flushInterval = flushInterval
            self.claimIdle = claimIdle
        }
    }

    let redis: RedisClient
    let keys: IngestKeys
    let consumer: String
    let settings: Settings
    let store: @Sendable ([CandleRow]) async throws -> Void
    let metrics: IngestMetrics
    let logger: Logger
    let executor: (any TaskExecutor)?

    /// - Parameter executor: where the write loop runs; a dedicated thread keeps it from
    ///   queueing behind a saturated cooperative pool (nil: the pool).
    public init(
        redis: RedisClient, keys: IngestKeys, consumer: String, settings: Settings, metrics: IngestMetrics, logger: Logger,
        executor: (any TaskExecutor)? = nil, store: @escaping @Sendable ([CandleRow]) async throws -> Void
    ) {
        self.executor = executor
        self.redis = redis
        self.keys = keys
        self.consumer = consumer
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.store = store
    }

    public func run() async throws {
        try await withTaskExecutorPreference(executor) { try await self.loop() }
    }

    private func loop() async throws {
        // A dedicated connection: XREADGROUP blocks it. Reads give way to a graceful shutdown at
        // once (an unreachable Redis would hold each for its reconnect window); writes finish.
        let reader = redis.makeDedicatedClient(label: "persister")
        defer { Task { await reader.close() } }
        var buffer: [(id: String, candle: CandleRow?)] = []
        var deadline = ContinuousClock.now + settings.flushInterval
        var ownPendingDone = false
        var lastClaim = ContinuousClock.now - .seconds(3600)
        var failures = 0
        var groupReady = false
        while true {
            if Task.isCancelled || Task.isShuttingDownGracefully {
                // Write what was read before stopping; unwritten entries stay pending.
                if !buffer.isEmpty { try? await write(&buffer) }
                return
            }
            do {
                if !groupReady {
                    try await cancelWhenGracefulShutdown { try await self.ensureGroup() }
                    groupReady = true
                }
                if !ownPendingDone {
                    // Entries this consumer read before a restart but never acknowledged.
                    let own = try await cancelWhenGracefulShutdown {
                        try await reader.xreadgroup(
                            group: IngestKeys.persisterGroup, consumer: self.consumer, streams: [self.keys.candles], id: "0",
                            count: self.settings.flushRows)
                    }
                    buffer += own.map { ($0.id, CandleRow(streamFields: $0.fields)) }
                    if own.isEmpty { ownPendingDone = true }
                } else if ContinuousClock.now - lastClaim >= settings.claimIdle / 2 {
                    lastClaim = ContinuousClock.now
                    let claimed = try await cancelWhenGracefulShutdown {
                        try await reader.xautoclaim(
                            self.keys.candles, group: IngestKeys.persisterGroup, consumer: self.consumer, minIdle: self.settings.claimIdle,
                            count: self.settings.flushRows)
                    }
                    if !claimed.entries.isEmpty {
                        logger.info("claimed candles a dead persister left pending", metadata: ["candles": "\(claimed.entries.count)"])
                    }
                    buffer += claimed.entries.map { ($0.id, CandleRow(streamFields: $0.fields)) }
                } else {
                    let wait = max(.milliseconds(1), deadline - ContinuousClock.now)
                    let count = max(1, settings.flushRows - buffer.count)
                    let entries = try await cancelWhenGracefulShutdown {
                        try await reader.xreadgroup(
                            group: IngestKeys.persisterGroup, consumer: self.consumer, streams: [self.keys.candles], id: ">",
                            count: count, block: min(wait, .seconds(1)))
                    }
                    buffer += entries.map { ($0.id, CandleRow(streamFields: $0.fields)) }
                }
                if !buffer.isEmpty, buffer.count >= settings.flushRows || ContinuousClock.now >= deadline {
                    try await write(&buffer)
                }
                if buffer.isEmpty || ContinuousClock.now >= deadline { deadline = ContinuousClock.now + settings.flushInterval }
                failures = 0
            } catch is CancellationError {
                continue
            } catch {
                // A read interrupted by shutdown: the loop's top writes the buffer and returns.
                if Task.isShuttingDownGracefully { continue }
                failures += 1
                groupReady = false
                let wait = min(10.0, 0.2 * pow(2, Double(min(failures, 10)))) * Double.random(in: 0.5...1)
                logger.warning("persisting candles failed; nothing was acknowledged, retrying", metadata: [
                    "error": "\(error)", "candles.buffered": "\(buffer.count)", "retry.seconds": "\(String(format: "%.2f", wait))",
                ])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
            }
        }
    }

    private func ensureGroup() async throws {
        // "0": a new group starts with everything already in the stream.
        _ = try await redis.xgroupCreate(keys.candles, group: IngestKeys.persisterGroup, startID: "0")
    }

    /// Stores the buffer in one transaction, then acknowledges it; on failure nothing is
    /// acknowledged and the buffer is kept.
    private func write(_ buffer: inout [(id: String, candle: CandleRow?)]) async throws {
        let candles = buffer.compactMap(\.candle)
        let bad = buffer.count - candles.count
        if !candles.isEmpty { try await store(candles) }
        _ = try await redis.xack(keys.candles, group: IngestKeys.persisterGroup, ids: buffer.map(\.id))
        if bad > 0 { metrics.dropped("bad_stream_entry", count: bad) }
        metrics.persisted(candles.count)
        buffer.removeAll(keepingCapacity: true)
    }
}
