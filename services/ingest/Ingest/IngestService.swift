import Contracts
import Binance
import Core
import Foundation
import Logging
import Redis
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// The WebSocket side of `alphapulse-ingest serve`: owns shards of the tracked symbols,
/// keeps their streams subscribed, and flushes what arrives to Redis.
///
/// Every `balance` period it renews its shard leases and rebalances; on a new symbol list
/// (`ap:symbols:changed`, or a version change seen on the periodic read) it re-applies the
/// subscriptions for the symbols of its shards — live, without reconnecting the rest.
public final class StreamIngestService: Service, Sendable {
    let watcher: SymbolWatcher
    let leases: ShardLeases
    let manager: ConnectionManager
    let sink: KlineSink
    let redis: RedisClient
    let keys: RedisKeys
    let shards: Int
    let balancePeriod: Duration
    let logger: Logger
    let owned: Mutex<[Market: Set<String>]>
    let flushExecutor: (any TaskExecutor)?
    /// Beats on every pass of the Redis flush loop, for the liveness check.
    public let flushProgress = WorkProgress(name: "redis_flush")

    /// - Parameter flushExecutor: where the Redis flush loop runs; a dedicated thread keeps it
    ///   from queueing behind busy frame readers (nil: the cooperative pool).
    public init(
        watcher: SymbolWatcher, leases: ShardLeases, manager: ConnectionManager, sink: KlineSink, redis: RedisClient,
        keys: RedisKeys, shards: Int, balancePeriod: Duration, logger: Logger, flushExecutor: (any TaskExecutor)? = nil
    ) {
        self.flushExecutor = flushExecutor
        self.watcher = watcher
        self.leases = leases
        self.manager = manager
        self.sink = sink
        self.redis = redis
        self.keys = keys
        self.shards = shards
        self.balancePeriod = balancePeriod
        self.logger = logger
        self.owned = Mutex([:])
    }

    /// The symbols this process ingests now.
    public var ownedSymbols: [Market: Set<String>] { owned.withLock { $0 } }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask(executorPreference: self.flushExecutor) { try await self.flushLoop() }
                    group.addTask { try await self.controlLoop() }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
        }
        await manager.stop()
        // Whatever arrived before the sockets closed still goes out, if Redis answers within a
        // few seconds; otherwise the next start's backfill brings those minutes from Binance.
        let sink = self.sink, leases = self.leases
        let flushed = await withTimeLimit(.seconds(5)) {
            while !Task.isCancelled {
                do {
                    try await sink.flush()
                    return
                } catch {
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
        if !flushed {
            logger.warning("klines not written to Redis at shutdown; the next start backfills them", metadata: ["ingest.backlog": "\(sink.backlog)"])
        }
        // Unreleased leases expire after their TTL.
        await withTimeLimit(.seconds(2)) { await leases.releaseAll() }
    }

    /// Flushes the sink as soon as a closed kline is queued, else every 50 ms; failures keep the
    /// data queued and are retried after a doubling pause (up to 5 s), so a Redis that refuses
    /// writes is not hammered.
    private func flushLoop() async throws {
        var failures = 0
        var nextState = ContinuousClock.now
        while true {
            flushProgress.beat()
            do {
                // Latest-kline and mark-price state coalesces over 50 ms; closed klines go at once.
                let includeState = ContinuousClock.now >= nextState
                if includeState { nextState = ContinuousClock.now + .milliseconds(50) }
                try await sink.flush(includeState: includeState)
                if failures > 0 {
                    logger.info("Redis writes recovered", metadata: ["ingest.backlog": "\(sink.backlog)"])
                    failures = 0
                }
                // A long queue drains without waiting between pipelines.
                if sink.backlog > 0 { continue }
            } catch {
                if failures == 0 {
                    logger.warning("Redis writes failing; klines stay queued (bounded by ingest.sink_max_bytes)", metadata: [
                        "error": "\(error)", "ingest.backlog": "\(sink.backlog)",
                    ])
                }
                failures += 1
            }
            if failures == 0 {
                await sink.waitForClosed(upTo: max(.milliseconds(1), nextState - ContinuousClock.now))
                try Task.checkCancellation()
            } else {
                try await Task.sleep(for: .milliseconds(min(5_000, 50 << min(failures, 7))))
            }
        }
    }

    /// Leases, the symbol list and the subscriptions.
    private func controlLoop() async throws {
        let changes = Mutex(true)
        // Wakes the loop when the symbols service announces a change.
        let listener = Task {
            while !Task.isCancelled {
                do {
                    let subscriber = try await redis.subscribe(to: [keys.symbolsChanged])
                    for try await _ in subscriber { changes.withLock { $0 = true } }
                } catch {
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        defer { listener.cancel() }
        var version: Int64?
        var symbols: [Market: Set<String>] = [:]
        var lastRead = ContinuousClock.now - .seconds(3600)
        var lastBalance = ContinuousClock.now - .seconds(3600)
        var appliedShards: Set<Int> = []
        while true {
            var dirty = false
            if ContinuousClock.now - lastBalance >= balancePeriod {
                do {
                    dirty = try await leases.balance() || dirty
                    lastBalance = ContinuousClock.now
                } catch {
                    logger.warning("shard leases not renewed", metadata: ["error": "\(error)"])
                }
            }
            let announced = changes.withLock { value -> Bool in
                defer { value = false }
                return value
            }
            if announced || ContinuousClock.now - lastRead >= .seconds(30) {
                do {
                    if let list = try await watcher.current(), list.version != version || announced {
                        if list.version != version { dirty = true }
                        version = list.version
                        symbols = list.symbols
                    }
                    lastRead = ContinuousClock.now
                } catch {
                    changes.withLock { $0 = true }
                    logger.warning("symbol list not read", metadata: ["error": "\(error)"])
                }
            }
            // Shards whose leases ran out unrenewed (Redis unreachable) are dropped too.
            let shardsOwned = leases.owned
            if shardsOwned != appliedShards { dirty = true }
            if dirty {
                appliedShards = shardsOwned
                var mine: [Market: Set<String>] = [:]
                for (market, names) in symbols {
                    mine[market] = names.filter { shardsOwned.contains(ShardLeases.shard(of: $0, market: market, shards: shards)) }
                }
                owned.withLock { $0 = mine }
                manager.apply(mine)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
