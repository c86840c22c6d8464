import CandleStore
import Contracts
import Core
import Foundation
import Logging
import Metrics
import Postgres
import Redis
import ServiceLifecycle
import ServiceRuntime

/// The `persister` consumer group on the `candles` stream: stores closed klines in PostgreSQL
/// and acknowledges them only after the transaction committed, so a crash loses nothing.
///
/// - **Natural batching.** A batch is committed as soon as it is full (`batchRows`) or no more
///   entries are waiting, so at real rates a closed kline is committed within milliseconds and
///   under load batches grow to amortise the transaction.
/// - **After each commit**, one `StoredCandles` event per symbol goes to `candles:stored`, then
///   the entries are acknowledged (a crash in between re-stores idempotently and re-announces).
/// - **Poison entries.** An entry that does not decode (`CandleEntry.decode`), or a row that
///   PostgreSQL refuses with a data or constraint error (SQLSTATE class 22 or 23, found by
///   splitting the batch), goes to `candles:dead` with the reason and its original fields; it
///   is acknowledged and counted (`alphapulse.ingest.dead_letters{reason}`), and the rest of
///   its batch commits. Every other failure (connection lost, cancelled, serialization,
///   resources) is retried with backoff and nothing is acknowledged meanwhile.
/// - **Recovery.** On start it re-reads its own pending entries (after a restart with the same
///   consumer name), advancing through them. When its buffer is empty it claims, with
///   XAUTOCLAIM following the cursor, entries other consumers left pending for `claimIdle`;
///   it never claims while it holds a batch, so it never re-reads its own entries. Pending ids
///   whose entries were trimmed are counted (`alphapulse.ingest.trimmed_unpersisted`) and
///   left to the consistency checker. Consumers idle for `consumerExpiry` with nothing
///   pending are removed from the group.
///
/// The buffer never holds more than `batchRows` entries.
public final class Persister: Service, Sendable {
    public struct Settings: Sendable {
        public var batchRows: Int
        public var claimIdle: Duration
        public var consumerExpiry: Duration
        /// Approximate caps of `candles:stored` and `candles:dead`.
        public var storedMaxLength: Int
        public var deadMaxLength: Int

        public init(
            batchRows: Int, claimIdle: Duration, consumerExpiry: Duration? = nil, storedMaxLength: Int = 100_000, deadMaxLength: Int = 100_000
        ) {
            self.batchRows = batchRows
            self.claimIdle = claimIdle
            self.consumerExpiry = consumerExpiry ?? claimIdle * 10
            self.storedMaxLength = storedMaxLength
            self.deadMaxLength = deadMaxLength
        }
    }

    let redis: RedisClient
    let keys: RedisKeys
    let consumer: String
    let settings: Settings
    let store: @Sendable ([CandleRow]) async throws -> Void
    let metrics: IngestMetrics
    let logger: Logger
    let executor: (any TaskExecutor)?
    /// Beats on every pass of the loop, for the liveness check.
    public let progress: WorkProgress

    /// - Parameter executor: where the write loop runs; a dedicated thread keeps it from
    ///   queueing behind a saturated cooperative pool (nil: the pool).
    public init(
        redis: RedisClient, keys: RedisKeys, consumer: String, settings: Settings, metrics: IngestMetrics, logger: Logger,
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
        self.progress = WorkProgress(name: "persister")
    }

    public func run() async throws {
        try await withTaskExecutorPreference(executor) { try await self.loop() }
    }

    private func loop() async throws {
        // A dedicated connection: XREADGROUP blocks it. Reads give way to a graceful shutdown at
        // once (an unreachable Redis would hold each for its reconnect window); writes finish.
        let reader = redis.makeDedicatedClient(label: "persister")
        defer { Task { await reader.close() } }
        let group = RedisKeys.Group.persister, stream = keys.candles, batchRows = settings.batchRows
        var buffer: [RedisStreamEntry] = []
        var ownCursor: String? = "0"
        var claimCursor = "0-0"
        var nextClaim = ContinuousClock.now
        var failures = 0
        var groupReady = false
        while true {
            progress.beat()
            if Task.isCancelled || Task.isShuttingDownGracefully {
                // Write what was read before stopping; unwritten entries stay pending.
                if !buffer.isEmpty { try? await write(&buffer) }
                return
            }
            do {
                if !groupReady {
                    // "0": a new group starts with everything already in the stream.
                    _ = try await cancelWhenGracefulShutdown { try await self.redis.xgroupCreate(stream, group: group, startID: "0") }
                    groupReady = true
                }
                let wanted = batchRows - buffer.count
                var short: Bool
                if let cursor = ownCursor {
                    // Entries this consumer read before a restart but never acknowledged, in order.
                    let own = try await cancelWhenGracefulShutdown {
                        try await reader.xreadgroup(group: group, consumer: self.consumer, streams: [stream], id: cursor, count: wanted)
                    }
                    buffer += own
                    ownCursor = own.last?.id
                    short = own.count < wanted
                } else if buffer.isEmpty, ContinuousClock.now >= nextClaim {
                    let start = claimCursor
                    let claimed = try await cancelWhenGracefulShutdown {
                        try await reader.xautoclaim(
                            stream, group: group, consumer: self.consumer, minIdle: self.settings.claimIdle, start: start, count: batchRows)
                    }
                    claimCursor = claimed.nextCursor
                    if claimCursor == "0-0" {
                        nextClaim = ContinuousClock.now + settings.claimIdle / 2
                        try await expireConsumers()
                    }
                    if !claimed.entries.isEmpty {
                        logger.info("claimed candles another persister left pending", metadata: ["candles": "\(claimed.entries.count)"])
                    }
                    lostToTrimming(claimed.deletedIDs.count)
                    buffer += claimed.entries
                    short = true
                } else {
                    let block: Duration? = buffer.isEmpty ? .seconds(1) : nil
                    let entries = try await cancelWhenGracefulShutdown {
                        try await reader.xreadgroup(
                            group: group, consumer: self.consumer, streams: [stream], id: ">", count: wanted,
                            block: block)
                    }
                    buffer += entries
                    short = entries.count < wanted
                }
                if !buffer.isEmpty, short || buffer.count >= batchRows {
                    try await write(&buffer)
                }
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

    /// Removes consumers of the group that have nothing pending and have been idle for
    /// `consumerExpiry` (processes that stopped, under names that will not come back).
    private func expireConsumers() async throws {
        let consumers = try await redis.xinfoConsumers(keys.candles, group: RedisKeys.Group.persister)
        for info in consumers where info.name != consumer && info.pending == 0 && info.idle >= settings.consumerExpiry {
            // DELCONSUMER drops the consumer's pending entries: re-checked by the reply.
            let dropped = try await redis.xgroupDeleteConsumer(keys.candles, group: RedisKeys.Group.persister, consumer: info.name)
            logger.info("removed an idle persister consumer", metadata: ["consumer": "\(info.name)", "pending": "\(dropped)"])
        }
    }

    private func lostToTrimming(_ count: Int) {
        guard count > 0 else { return }
        metrics.trimmedUnpersisted(count)
        logger.error("pending candles were trimmed from the stream before they were stored; the consistency check backfills them", metadata: [
            "candles": "\(count)",
        ])
    }

    /// Stores the buffer, dead-letters what can never be stored, announces what was committed,
    /// then acknowledges every entry. On a failure that a retry can fix nothing is acknowledged
    /// and the buffer is kept.
    private func write(_ buffer: inout [RedisStreamEntry]) async throws {
        var rows: [(index: Int, row: CandleRow)] = []
        rows.reserveCapacity(buffer.count)
        var letters: [DeadLetter] = []
        var trimmed = 0
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (index, entry) in buffer.enumerated() {
            if entry.fields.isEmpty {
                // Delivered, then trimmed or deleted before it was stored: nothing left to keep.
                trimmed += 1
                continue
            }
            do throws(ContractError) {
                rows.append((index, try CandleEntry.decode(entry.fields)))
            } catch {
                letters.append(letter(entry, reason: error.reason.description, detail: error.detail, at: now))
            }
        }
        let refused = try await storeIsolating(rows[...])
        for (index, detail) in refused {
            letters.append(letter(buffer[index], reason: "refused_by_database", detail: detail, at: now))
        }
        let refusedIndices = Set(refused.map(\.index))
        let committed = rows.filter { !refusedIndices.contains($0.index) }.map(\.row)
        var commands: [[RedisArgument]] = []
        for letter in letters {
            commands.append(RedisArgument.xadd(keys.candlesDead, maxLength: settings.deadMaxLength, fields: letter.fields))
        }
        for event in StoredCandles.events(for: committed) {
            commands.append(RedisArgument.xadd(keys.candlesStored, maxLength: settings.storedMaxLength, fields: event.fields))
        }
        if !commands.isEmpty {
            for reply in try await redis.pipeline(commands: commands) { _ = try reply.checked() }
        }
        // Counted once written and before the acknowledgement, so whoever sees the entries
        // acknowledged also sees them counted.
        for letter in letters {
            metrics.deadLettered(letter.reason)
            logger.warning("candle entry dead-lettered", metadata: [
                "stream.id": "\(letter.id)", "reason": "\(letter.reason)", "detail": "\(letter.detail)",
            ])
        }
        metrics.persisted(committed.count)
        _ = try await redis.xack(keys.candles, group: RedisKeys.Group.persister, ids: buffer.map(\.id))
        lostToTrimming(trimmed)
        buffer.removeAll(keepingCapacity: true)
    }

    private func letter(_ entry: RedisStreamEntry, reason: String, detail: String, at: Int64) -> DeadLetter {
        DeadLetter(reason: reason, detail: detail, stream: keys.candles, id: entry.id, consumer: consumer, at: at, original: entry.fields)
    }

    /// Stores `rows` in one transaction; when PostgreSQL refuses the batch for its data, splits it
    /// until the refused rows are alone. Returns the refused rows' buffer indices with the reason.
    private func storeIsolating(_ rows: ArraySlice<(index: Int, row: CandleRow)>) async throws -> [(index: Int, detail: String)] {
        guard !rows.isEmpty else { return [] }
        do {
            try await store(rows.map(\.row))
            return []
        } catch where Self.refusesData(error) {
            if rows.count == 1 { return [(rows[rows.startIndex].index, "\(error)")] }
            let middle = rows.startIndex + rows.count / 2
            let first = try await storeIsolating(rows[..<middle])
            return try await first + storeIsolating(rows[middle...])
        }
    }

    /// Whether a store failure is about the rows themselves, so the same rows fail every time:
    /// the store's own validation, or SQLSTATE class 22 (data exception) or 23 (integrity
    /// constraint violation).
    static func refusesData(_ error: any Error) -> Bool {
        if let error = error as? CandleStoreError { return error.code == .invalidCandle }
        if let error = error as? PostgresError, error.code == .server, let state = error.sqlState {
            return state.hasPrefix("22") || state.hasPrefix("23")
        }
        return false
    }
}
