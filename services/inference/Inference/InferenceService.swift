import Analysis
import Contracts
import Core
import Foundation
import Logging
import Metrics
import Redis
import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// `alphapulse-inference serve`: a consumer of the `inference` group on the job streams.
///
/// It reads `jobs:now` (on demand) before `jobs` (routine), analyses each job's symbol at its
/// moment from the stored candles, and commits the analysis — and the signal it opens or
/// resolves — in one transaction (`AnalysisStore.commit`). Only then it publishes the signal
/// events from the committed rows, acknowledges the job, deletes the symbol's waiting marker
/// and answers an on-demand job on its reply key. A crash anywhere in between redelivers the
/// job: the analysis exists, so it is acknowledged without a second one, and the sweep publishes
/// what was committed but not published.
///
/// Bad jobs go to `jobs:dead` with a reason and are acknowledged: a malformed entry, a symbol
/// with no stored candle, a moment still beyond the stored candles after `grace`. A failure
/// that a retry can fix (PostgreSQL down) leaves the job pending; it is retried from this
/// consumer's pending list, and a dead instance's pending jobs are claimed after `claimIdle`.
public final class InferenceService: Service, Sendable {
    public struct Settings: Sendable {
        public var consumer: String
        public var claimIdle: Duration
        public var grace: Duration
        public var replyTTL: Duration
        public var signalsMaxLength: Int
        public var retentionDays: Double
        public var readBlock: Duration = .seconds(1)
        public var batch = 16

        public init(config: AlphaPulseConfig, consumer: String) {
            let resolved = config.resolved
            self.consumer = consumer
            claimIdle = .milliseconds(Int64(resolved.double("inference.claim_idle_seconds") * 1000))
            grace = .milliseconds(Int64(resolved.double("inference.job_grace_seconds") * 1000))
            replyTTL = .milliseconds(Int64(resolved.double("inference.reply_ttl_seconds") * 1000))
            signalsMaxLength = resolved.int("signals.stream_maxlen")
            retentionDays = resolved.double("analysis.retention_days")
        }
    }

    public struct Counts: Sendable, Equatable {
        public var analysed = 0
        public var coalesced = 0
        public var dead = 0
        public var retried = 0
        public var signals = 0
        public var resolved = 0
        public var published = 0
    }

    let settings: Settings
    let store: AnalysisStore
    /// Warm candle windows per symbol (nil: every job reads its windows whole).
    public let cache: CandleCache?
    let live: LiveAnalysis
    let redis: RedisClient
    let keys: RedisKeys
    let logger: Logger
    let counts = Mutex(Counts())
    /// First time a job beyond the stored candles was seen, by entry id (bounded by the pending jobs).
    let deferred = Mutex<[String: ContinuousClock.Instant]>([:])
    public let progress = WorkProgress(name: "jobs")

    public init(
        settings: Settings, store: AnalysisStore, live: LiveAnalysis, redis: RedisClient, keys: RedisKeys, logger: Logger,
        cache: CandleCache? = nil
    ) {
        self.settings = settings
        self.cache = cache
        self.store = store
        self.live = live
        self.redis = redis
        self.keys = keys
        self.logger = logger
    }

    public var counters: Counts { counts.withLock { $0 } }

    public func stats() -> [(String, String)] {
        let counts = counters
        let cacheFields: [(String, String)] = cache.map { cache in
            let c = cache.counts
            return [("cache_symbols", String(cache.symbols)), ("cache_bytes", String(cache.bytes)), ("cache_hits", String(c.hits)),
                    ("cache_misses", String(c.misses + c.reloads))]
        } ?? []
        return cacheFields + [
            ("analysed", String(counts.analysed)), ("coalesced", String(counts.coalesced)), ("dead_letters", String(counts.dead)),
            ("signals", String(counts.signals)), ("resolved", String(counts.resolved)), ("published", String(counts.published)),
        ]
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.loop() }
        } catch is CancellationError {
            // Graceful shutdown: a job being processed is either committed and acknowledged, or redelivered.
        }
    }

    private func loop() async throws {
        let streams = [keys.jobsNow, keys.jobs]
        while true {
            do {
                for stream in streams { try await redis.xgroupCreate(stream, group: RedisKeys.Group.inference, startID: "0") }
                break
            } catch {
                logger.warning("job groups not created; will retry", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
        await publishCommitted()
        var lastClaim = ContinuousClock.now - .seconds(3600)
        var lastPending = ContinuousClock.now - .seconds(3600)
        var lastRetention = ContinuousClock.now - .seconds(3600)
        var newestMoment: Int64 = 0
        var lastSweep = ContinuousClock.now
        while true {
            try Task.checkCancellation()
            var entries: [RedisStreamEntry] = []
            do {
                // Own pending jobs first (a failed commit, a moment not stored yet), at most once a second.
                if ContinuousClock.now - lastPending >= .seconds(1) {
                    lastPending = ContinuousClock.now
                    entries = try await redis.xreadgroup(
                        group: RedisKeys.Group.inference, consumer: settings.consumer, streams: streams, id: "0", count: settings.batch)
                }
                if ContinuousClock.now - lastClaim >= settings.claimIdle / 2 {
                    lastClaim = ContinuousClock.now
                    for stream in streams {
                        let claimed = try await redis.xautoclaim(
                            stream, group: RedisKeys.Group.inference, consumer: settings.consumer, minIdle: settings.claimIdle, count: 100)
                        if !claimed.entries.isEmpty {
                            logger.info("claimed jobs of a silent consumer", metadata: ["jobs": "\(claimed.entries.count)", "stream": "\(stream)"])
                        }
                        entries += claimed.entries
                    }
                }
                if entries.isEmpty {
                    // On-demand jobs first; routine ones only when none waits.
                    entries = try await redis.xreadgroup(
                        group: RedisKeys.Group.inference, consumer: settings.consumer, streams: [keys.jobsNow], count: settings.batch)
                }
                if entries.isEmpty {
                    entries = try await redis.xreadgroup(
                        group: RedisKeys.Group.inference, consumer: settings.consumer, streams: streams, count: settings.batch,
                        block: settings.readBlock)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("jobs not read; will retry", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            for entry in entries {
                try Task.checkCancellation()
                if let moment = await process(entry) { newestMoment = max(newestMoment, moment) }
            }
            // Whatever an earlier publication left behind (Redis down at the time) goes out within 10 s.
            if ContinuousClock.now - lastSweep >= .seconds(10) {
                lastSweep = ContinuousClock.now
                await publishCommitted()
            }
            if newestMoment > 0, ContinuousClock.now - lastRetention >= .seconds(3600) {
                lastRetention = ContinuousClock.now
                do {
                    let dropped = try await store.retain(keepFrom: newestMoment - Int64(settings.retentionDays * 86_400_000))
                    if dropped > 0 { logger.info("dropped old analyses partitions", metadata: ["partitions": "\(dropped)"]) }
                } catch {
                    logger.warning("analyses retention not applied", metadata: ["error": "\(error)"])
                }
            }
            progress.beat()
        }
    }

    /// Handles one job entry; returns its moment when it was analysed or found analysed.
    @discardableResult
    func process(_ entry: RedisStreamEntry) async -> Int64? {
        let job: AnalysisJob
        do throws(ContractError) {
            job = try AnalysisJob(fields: StreamFields(entry.fields))
        } catch {
            await deadLetter(entry, reason: error.reason.description, detail: error.detail)
            return nil
        }
        let started = ContinuousClock.now
        do {
            switch try await analyse(job, started: started) {
            case .committed(let published):
                if published { await publishCommitted() }
            case .alreadyAnalysed:
                // Triggers for one moment coalesce into one analysis; a redelivered job's work is
                // done, except perhaps its publication.
                counts.withLock { $0.coalesced += 1 }
                Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "coalesced")]).increment()
                await publishCommitted()
            case .notStored(let newest):
                guard let newest else {
                    await deadLetter(entry, reason: "unknown_symbol", detail: "no stored 1m candle of \(job.market.rawValue) \(job.symbol)")
                    return nil
                }
                let first = deferred.withLock { waiting -> ContinuousClock.Instant in
                    // Entries another consumer took over are forgotten after a while (the map stays small).
                    if waiting.count > 10_000 { waiting = waiting.filter { started - $0.value < settings.grace * 10 } }
                    let first = waiting[entry.id, default: started]
                    waiting[entry.id] = first
                    return first
                }
                if started - first >= settings.grace {
                    await deadLetter(entry, reason: "beyond_stored_candles",
                                     detail: "moment \(job.moment) is not among the stored minutes (newest \(newest))")
                }
                return nil  // pending: retried from this consumer's pending list
            }
            deferred.withLock { _ = $0.removeValue(forKey: entry.id) }
            await finish(entry, job)
            return job.moment
        } catch {
            counts.withLock { $0.retried += 1 }
            Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "retried")]).increment()
            logger.warning("job not committed; it stays pending and is retried", metadata: [
                "job.id": "\(job.id)", "symbol": "\(job.symbol)", "error": "\(error)",
            ])
            try? await Task.sleep(for: .milliseconds(200))
            return nil
        }
    }

    enum Analysed {
        /// Stored; `published` when it opened or resolved a signal (events to publish).
        case committed(published: Bool)
        case alreadyAnalysed
        /// The moment's candle is not stored; the newest stored minute (nil: none at all).
        case notStored(newest: Int64?)
    }

    private func analyse(_ job: AnalysisJob, started: ContinuousClock.Instant) async throws -> Analysed {
        let wallNow = Int64(Date().timeIntervalSince1970 * 1000)
        let queueWait = Double(max(0, wallNow - job.enqueuedAt))
        let end = job.moment + 60_000
        // The 1m candles an open signal may have been resolved by since its moment (expiry bounds them).
        let expiryMinutes = Int(live.signalRules.expiryMilliseconds / 60_000) + 2
        var wants = [AnalysisStore.Want(interval: .oneMinute, before: end, count: max(live.oneMinuteWindow, expiryMinutes))]
        // Higher timeframes: complete candles only, those closed by the moment's close.
        for interval in live.higherIntervals {
            wants.append(AnalysisStore.Want(interval: interval, before: interval.bucketStart(end), count: live.higherWindow))
        }
        let windows = try await store.windows(market: job.market, symbol: job.symbol, wants: wants, cache: cache)
        let minutes = windows[.oneMinute] ?? []
        let oneMinute = Array(minutes.suffix(live.oneMinuteWindow))
        guard let candle = oneMinute.last, candle.openTime == job.moment else {
            return .notStored(newest: try await store.newestMinute(market: job.market, symbol: job.symbol))
        }
        var higher: [CandleInterval: [Candle]] = [:]
        var inputs: [String: Int64] = ["1m": candle.openTime, "1m_count": Int64(oneMinute.count)]
        for interval in live.higherIntervals {
            let list = windows[interval] ?? []
            higher[interval] = list
            if let last = list.last { inputs[interval.rawValue] = last.openTime }
            inputs[interval.rawValue + "_count"] = Int64(list.count)
        }
        let input = live.input(symbol: job.symbol, market: job.market, oneMinute: oneMinute, higher: higher)
        let consensus = live.analyzer.analyze(input)
        let atr = live.stopATR(input)
        let computed = ContinuousClock.now
        let computeMilliseconds = Double((computed - started).components.attoseconds) / 1e15 + Double((computed - started).components.seconds) * 1000
        let resolution = Array(minutes.suffix(expiryMinutes))
        let pending = PendingAnalysis(
            market: job.market, symbol: job.symbol, moment: job.moment, jobID: job.id, reason: job.reason, inputs: inputs,
            missingHeads: LiveAnalysis.missingHeads(consensus), queueWaitMilliseconds: queueWait, computeMilliseconds: computeMilliseconds)
        let live = self.live
        let result = try await store.commit(pending) { state in
            live.decide(consensus: consensus, atr: atr, candle: candle, state: state, resolutionCandles: resolution)
        }
        Timer(label: "alphapulse.inference.queue_wait").recordMilliseconds(Int64(queueWait))
        Timer(label: "alphapulse.inference.compute").recordNanoseconds(Int64(computeMilliseconds * 1e6))
        for vote in consensus.votes {
            Counter(label: "alphapulse.inference.votes", dimensions: [("head", vote.head.rawValue), ("direction", vote.direction.rawValue)]).increment()
        }
        guard let result else { return .alreadyAnalysed }
        counts.withLock {
            $0.analysed += 1
            if result.signalID != nil { $0.signals += 1 }
            if result.resolvedSignalID != nil { $0.resolved += 1 }
        }
        Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "analysed")]).increment()
        if result.signalID != nil { Counter(label: "alphapulse.inference.signals").increment() }
        if result.resolvedSignalID != nil { Counter(label: "alphapulse.inference.outcomes").increment() }
        return .committed(published: result.signalID != nil || result.resolvedSignalID != nil)
    }

    /// Publishes committed signal events not yet published (the outbox), oldest first.
    func publishCommitted() async {
        do {
            let events = try await store.unpublished()
            for event in events {
                _ = try await redis.xadd(keys.signals, fields: event.fields, maxLength: settings.signalsMaxLength)
                _ = try await redis.publish(event.message, to: keys.signals)
                try await store.markPublished(event)
                counts.withLock { $0.published += 1 }
                Counter(label: "alphapulse.inference.published", dimensions: [("event", event.kind.rawValue)]).increment()
            }
        } catch {
            // Left for the next sweep: every job and the start of every instance sweeps.
            logger.warning("signal events not published yet", metadata: ["error": "\(error)"])
        }
    }

    /// After the commit: the reply of an on-demand job, the marker, the acknowledgement.
    private func finish(_ entry: RedisStreamEntry, _ job: AnalysisJob) async {
        do {
            if let replyKey = job.replyKey, let stored = try await store.analysis(market: job.market, symbol: job.symbol, moment: job.moment) {
                let reply = AnalysisReply(jobID: job.id, analysisID: stored.id, moment: stored.moment, market: job.market,
                                          symbol: job.symbol, consensus: stored.consensus, signalID: stored.signalID,
                                          missingHeads: stored.missingHeads)
                _ = try await redis.send(arguments: ["LPUSH", RedisArgument(replyKey), RedisArgument(bytes: reply.encoded())])
                _ = try await redis.pexpire(replyKey, after: settings.replyTTL)
            }
            if job.replyKey == nil {
                // Only this job's marker: a newer job of the symbol may have set its own.
                // Compare-and-delete, as a lease is released: the marker's value is the job id.
                _ = try await redis.releaseLease(RedisLease(key: keys.jobQueued(job.market, job.symbol, kind: job.kind), token: job.id, ttl: .seconds(1)))
            }
            _ = try await redis.xack(entry.stream, group: RedisKeys.Group.inference, ids: [entry.id])
        } catch {
            // Committed already: a redelivery finds the analysis and only finishes.
            logger.warning("job committed but not acknowledged yet", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    private func deadLetter(_ entry: RedisStreamEntry, reason: String, detail: String) async {
        let letter = DeadLetter(
            reason: reason, detail: detail, stream: entry.stream, id: entry.id, consumer: settings.consumer,
            at: Int64(Date().timeIntervalSince1970 * 1000), original: entry.fields)
        do {
            _ = try await redis.xadd(keys.jobsDead, fields: letter.fields, maxLength: 100_000)
            _ = try await redis.xack(entry.stream, group: RedisKeys.Group.inference, ids: [entry.id])
            deferred.withLock { _ = $0.removeValue(forKey: entry.id) }
            counts.withLock { $0.dead += 1 }
            Counter(label: "alphapulse.inference.dead_letters", dimensions: [("reason", reason)]).increment()
            logger.warning("job dead-lettered", metadata: ["reason": "\(reason)", "detail": "\(detail)", "redis.id": "\(entry.id)"])
        } catch {
            logger.warning("job not dead-lettered yet; it stays pending", metadata: ["error": "\(error)"])
        }
    }
}

