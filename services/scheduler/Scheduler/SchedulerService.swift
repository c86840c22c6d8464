import CandleStore
import Contracts
import Core
import Foundation
import Logging
import Metrics
import Redis
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// `alphapulse-scheduler serve`: decides what to analyse when, and enqueues analysis jobs.
///
/// Every instance follows the active list (`symbols`, woken by `symbols:changed`) and the
/// committed-candle events (`candles:stored`), so a standby knows every symbol's newest moment
/// when it takes over. Only the instance holding the leader lease enqueues, and every enqueue
/// is fenced by the lease in one script (`JobQueue`).
public final class SchedulerService: Service, Sendable {
    public struct Settings: Sendable {
        public var planner: SchedulePlanner.Settings
        public var markerTTL: Int64
        public var jobsMaxLength: Int
        public var leaseTTL: Duration
        /// How often the status hash is written.
        public var statusEvery: Duration = .seconds(2)
        /// Longest wait for new committed-candle events per read.
        public var readBlock: Duration = .milliseconds(500)

        public init(config: AlphaPulseConfig) throws {
            let resolved = config.resolved
            var intervals: [CandleInterval] = []
            for name in resolved.list("analysis.close_intervals") {
                guard let interval = CandleInterval(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigError(
                        key: "analysis.close_intervals", origin: resolved.entries["analysis.close_intervals"]?.origin,
                        message: "'\(name)' is not one of 1m, 5m, 15m, 1h, 4h, 1d")
                }
                intervals.append(interval)
            }
            planner = SchedulePlanner.Settings(
                mode: SchedulePlanner.Mode(rawValue: resolved.string("analysis.mode")) ?? .roundRobin,
                batchSize: config.analysisBatchSize,
                batchInterval: Int64((config.analysisBatchIntervalSeconds * 1000).rounded()),
                closeIntervals: intervals)
            markerTTL = Int64((resolved.double("analysis.job_ttl_seconds") * 1000).rounded())
            jobsMaxLength = resolved.int("analysis.jobs_maxlen")
            leaseTTL = .milliseconds(Int64((resolved.double("scheduler.lease_ttl_seconds") * 1000).rounded()))
        }
    }

    /// Counters since start, for the status hash and the heartbeat.
    public struct Counts: Sendable, Equatable {
        public var enqueued = 0
        public var coalesced = 0
        public var skipped = 0
        public var fenced = 0
        public var badEvents = 0
        public var cycles = 0
        public var batches = 0
    }

    let settings: Settings
    let redis: RedisClient
    let store: CandleStore
    let keys: RedisKeys
    let queue: JobQueue
    public let elector: LeaderElector
    let logger: Logger
    let counts = Mutex(Counts())
    let snapshot = Mutex<SchedulerStatus?>(nil)
    /// Beats on every pass of the scheduling loop.
    public let progress = WorkProgress(name: "schedule")

    public init(settings: Settings, redis: RedisClient, store: CandleStore, keys: RedisKeys, instance: String, logger: Logger) {
        self.settings = settings
        self.redis = redis
        self.store = store
        self.keys = keys
        self.queue = JobQueue(redis: redis, keys: keys, markerTTL: settings.markerTTL, maxLength: settings.jobsMaxLength)
        self.elector = LeaderElector(redis: redis, key: keys.schedulerLease, instance: instance, ttl: settings.leaseTTL, name: "scheduler", logger: logger)
        self.logger = logger
    }

    public var counters: Counts { counts.withLock { $0 } }

    /// The last status written (or that would be, for a standby).
    public var status: SchedulerStatus? { snapshot.withLock { $0 } }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.elector.run() }
                    group.addTask { try await self.scheduleLoop() }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            // Graceful shutdown.
        }
    }

    /// Heartbeat fields.
    public func stats() -> [(String, String)] {
        let counts = counters
        var fields = [
            ("leader", elector.leadership == nil ? "0" : "1"), ("enqueued", String(counts.enqueued)),
            ("coalesced", String(counts.coalesced)), ("skipped", String(counts.skipped)), ("fenced", String(counts.fenced)),
            ("cycles", String(counts.cycles)),
        ]
        if let status { fields += [("exchange_time", String(status.exchangeTime)), ("symbols", String(status.symbols))] }
        return fields
    }

    // MARK: - The loop

    private struct LoopState {
        var planner: SchedulePlanner
        var streamID = "0-0"
        var listVersion: Int64?
        var epoch = 0
        var position: MarketSymbol?
        var positionKnown = false
        /// Close triggers waiting to be enqueued: newest per symbol (bounded by the active list).
        var pendingCloses: [MarketSymbol: SchedulePlanner.Trigger] = [:]
        var lastStatus = ContinuousClock.now - .seconds(3600)
        /// When symbols without a known moment were last looked up in PostgreSQL.
        var lastSeed = ContinuousClock.now - .seconds(3600)
        var seedWanted = true
    }

    private func scheduleLoop() async throws {
        let changed = Mutex(true)
        let listener = Task {
            while !Task.isCancelled {
                do {
                    let subscriber = try await redis.subscribe(to: [keys.symbolsChanged])
                    for try await _ in subscriber { changed.withLock { $0 = true } }
                } catch {
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        defer { listener.cancel() }

        var state = LoopState(planner: SchedulePlanner(settings: settings.planner))
        // Events from here on are followed; what was committed before is read from PostgreSQL.
        state.streamID = try await retrying("read the committed-candle stream's end") { try await self.lastStreamID() }
        var lastListRead = ContinuousClock.now - .seconds(3600)
        while true {
            try Task.checkCancellation()
            let announced = changed.withLock { value -> Bool in
                defer { value = false }
                return value
            }
            if announced || ContinuousClock.now - lastListRead >= .seconds(30) {
                if await readList(&state) { lastListRead = ContinuousClock.now } else { changed.withLock { $0 = true } }
            }
            // Symbols new to the list at once; ones with no candle at all yet, every 30 s.
            if state.seedWanted || ContinuousClock.now - state.lastSeed >= .seconds(30) {
                state.seedWanted = false
                state.lastSeed = ContinuousClock.now
                await seed(&state)
            }
            await follow(&state)
            if let leadership = elector.leadership {
                await enqueueAsLeader(&state, token: leadership.token, epoch: leadership.epoch)
            } else {
                state.pendingCloses.removeAll()
                state.positionKnown = false
            }
            if ContinuousClock.now - state.lastStatus >= settings.statusEvery {
                await writeStatus(&state)
            }
            progress.beat()
        }
    }

    /// Reads the active list; true when read (a missing list counts as read and empty).
    private func readList(_ state: inout LoopState) async -> Bool {
        do {
            guard let bytes = try await redis.getBytes(keys.symbols) else {
                state.planner.setActive([])
                return true
            }
            let list = try SymbolList.decode(bytes)
            if list.version != state.listVersion {
                let before = Set(state.planner.active)
                state.planner.setActive((list.futures + list.spot).map { MarketSymbol($0.market, $0.symbol) })
                let after = Set(state.planner.active)
                if state.listVersion != nil {
                    logger.info("symbol list changed", metadata: [
                        "symbols.version": "\(list.version)", "symbols.added": "\(after.subtracting(before).count)",
                        "symbols.removed": "\(before.subtracting(after).count)",
                    ])
                }
                state.listVersion = list.version
                state.seedWanted = true
            }
            return true
        } catch {
            logger.warning("symbol list not read", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Looks up the newest committed candle of symbols not seen yet (new to the list, or at start).
    private func seed(_ state: inout LoopState) async {
        for symbol in state.planner.unseeded {
            do {
                if let newest = try await store.lastOpenTime(market: symbol.market, symbol: symbol.symbol, interval: .oneMinute) {
                    state.planner.seed(symbol, newest: newest)
                }
            } catch {
                // Retried with the 30 s timer: a PostgreSQL outage must not slow the enqueue loop.
                logger.warning("newest candle not read", metadata: ["symbol": "\(symbol.positionText)", "error": "\(error)"])
                return
            }
        }
    }

    /// Reads committed-candle events, waiting up to `readBlock` for the first.
    private func follow(_ state: inout LoopState) async {
        let entries: [RedisStreamEntry]
        do {
            entries = try await redis.xread(after: [(keys.candlesStored, state.streamID)], count: 1000, block: settings.readBlock)
        } catch {
            logger.warning("committed-candle events not read", metadata: ["error": "\(error)"])
            try? await Task.sleep(for: .milliseconds(500))
            return
        }
        // Far-future times are not taken as the exchange clock (a bad writer must not fast-forward it).
        let limit = Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000
        for entry in entries {
            state.streamID = entry.id
            do throws(ContractError) {
                let event = try StoredCandles(fields: StreamFields(entry.fields))
                guard event.to <= limit else { throw ContractError(.badField, "open time \(event.to) is more than a day ahead") }
                if let trigger = state.planner.stored(event) { state.pendingCloses[trigger.symbol] = trigger }
            } catch {
                counts.withLock { $0.badEvents += 1 }
                Counter(label: "alphapulse.scheduler.bad_events", dimensions: [("reason", error.reason.description)]).increment()
                logger.warning("committed-candle event ignored", metadata: ["redis.id": "\(entry.id)", "error": "\(error)"])
            }
        }
    }

    /// While leading: the pending close triggers and the due round-robin batch, in one fenced enqueue.
    private func enqueueAsLeader(_ state: inout LoopState, token: String, epoch: Int) async {
        if state.epoch != epoch || !state.positionKnown {
            do {
                state.position = try await queue.position()
                state.positionKnown = true
                state.epoch = epoch
            } catch {
                logger.warning("round-robin position not read", metadata: ["error": "\(error)"])
                return
            }
        }
        let batch = state.planner.dueBatch(after: state.position)
        var triggers = Array(state.pendingCloses.values).sorted { $0.symbol < $1.symbol }
        if let batch { triggers += batch.triggers }
        guard !triggers.isEmpty || batch != nil else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let jobs = triggers.map { trigger in
            AnalysisJob(
                id: String(RedisClient.randomToken().prefix(24)), market: trigger.symbol.market, symbol: trigger.symbol.symbol,
                moment: trigger.moment, reason: trigger.reason, enqueuedAt: now)
        }
        let outcome: JobQueue.Outcome
        do {
            outcome = try await queue.enqueue(jobs, position: batch?.position, token: token)
        } catch {
            // Atomic: nothing was written; the same triggers and batch are tried again.
            logger.warning("jobs not enqueued; will retry", metadata: ["error": "\(error)", "jobs": "\(jobs.count)"])
            try? await Task.sleep(for: .milliseconds(200))
            return
        }
        switch outcome {
        case .fenced:
            counts.withLock { $0.fenced += 1 }
            Counter(label: "alphapulse.scheduler.fenced").increment()
            elector.lost()
            state.positionKnown = false
            state.pendingCloses.removeAll()
        case .done(let added):
            state.pendingCloses.removeAll()
            if let batch {
                state.position = batch.position
                state.planner.batchEnqueued()
            }
            var enqueued = 0, coalesced = 0
            for (job, wasAdded) in zip(jobs, added) {
                if wasAdded {
                    enqueued += 1
                    Counter(label: "alphapulse.scheduler.enqueued", dimensions: [("reason", job.reason)]).increment()
                } else {
                    coalesced += 1
                    Counter(label: "alphapulse.scheduler.coalesced", dimensions: [("reason", job.reason)]).increment()
                }
            }
            let skipped = batch?.skipped.count ?? 0
            if skipped > 0 { Counter(label: "alphapulse.scheduler.skipped", dimensions: [("reason", "no_candles")]).increment(by: skipped) }
            counts.withLock {
                $0.enqueued += enqueued
                $0.coalesced += coalesced
                $0.skipped += skipped
                if batch != nil { $0.batches += 1 }
                if batch?.completesCycle == true { $0.cycles += 1 }
            }
            if batch != nil {
                logger.debug("batch enqueued", metadata: [
                    "jobs.added": "\(enqueued)", "jobs.coalesced": "\(coalesced)", "jobs.skipped": "\(skipped)",
                    "position": "\(batch?.position.positionText ?? "")",
                ])
            }
        }
    }

    private func writeStatus(_ state: inout LoopState) async {
        state.lastStatus = ContinuousClock.now
        let counts = counters
        let leading = elector.leadership != nil
        let status = SchedulerStatus(
            leader: leading ? elector.instance : "", mode: settings.planner.mode.rawValue, symbols: state.planner.active.count,
            position: state.position?.positionText ?? "", cycle: counts.cycles, exchangeTime: state.planner.exchangeTime,
            nextBatch: state.planner.nextBatchAt ?? state.planner.exchangeTime, enqueued: counts.enqueued,
            coalesced: counts.coalesced, skipped: counts.skipped, fenced: counts.fenced,
            updated: Int64(Date().timeIntervalSince1970 * 1000))
        snapshot.withLock { $0 = status }
        guard leading else { return }
        do {
            _ = try await redis.hset(keys.schedulerStatus, fields: status.fields)
        } catch {
            logger.debug("status not written", metadata: ["error": "\(error)"])
        }
    }

    /// The id of the last committed-candle event ("0-0" for an empty stream).
    private func lastStreamID() async throws -> String {
        let reply = try await redis.send("XREVRANGE", keys.candlesStored, "+", "-", "COUNT", "1").checked()
        return reply.array?.first?.array?.first?.string ?? "0-0"
    }

    private func retrying<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        var failures = 0
        while true {
            try Task.checkCancellation()
            do {
                return try await body()
            } catch {
                failures += 1
                logger.warning("cannot \(what); will retry", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
    }
}
