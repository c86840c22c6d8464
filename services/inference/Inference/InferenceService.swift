import Analysis
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
/// A job whose 1m window has a hole (a gap ingest is still backfilling) waits, pending, for up
/// to `grace` until the window is whole, so the analysis and the resolution of an open signal
/// see every minute; after that it is analysed as it is, with the missing minutes recorded in
/// its inputs (`1m_missing`).
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
        /// Most jobs read at once, and so committed in one transaction.
        public var batch: Int
        /// Jobs of distinct symbols whose inputs are read and heads run at once.
        public var concurrency: Int

        public init(config: AlphaPulseConfig, consumer: String) {
            let resolved = config.resolved
            self.consumer = consumer
            claimIdle = .milliseconds(Int64(resolved.double("inference.claim_idle_seconds") * 1000))
            grace = .milliseconds(Int64(resolved.double("inference.job_grace_seconds") * 1000))
            replyTTL = .milliseconds(Int64(resolved.double("inference.reply_ttl_seconds") * 1000))
            signalsMaxLength = resolved.int("signals.stream_maxlen")
            retentionDays = resolved.double("analysis.retention_days")
            batch = resolved.int("inference.batch_size")
            concurrency = resolved.int("inference.concurrency")
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
        /// Jobs that waited for a gap in their candles to be repaired.
        public var waitedForGaps = 0
    }

    /// The metrics recorded per analysis, made once: making a Prometheus counter looks its
    /// name up and checks it every time, which cost more than a tenth of an analysis's CPU.
    struct Meters: Sendable {
        let queueWait = Timer(label: "alphapulse.inference.queue_wait")
        let compute = Timer(label: "alphapulse.inference.compute")
        let analysed = Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "analysed")])
        let coalesced = Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "coalesced")])
        let signals = Counter(label: "alphapulse.inference.signals")
        let outcomes = Counter(label: "alphapulse.inference.outcomes")
        let votes: [HeadKind: [Direction: Counter]] = Dictionary(uniqueKeysWithValues: HeadKind.allCases.map { head in
            (head, Dictionary(uniqueKeysWithValues: Direction.allCases.map { direction in
                (direction, Counter(label: "alphapulse.inference.votes", dimensions: [("head", head.rawValue), ("direction", direction.rawValue)]))
            }))
        })
    }

    let settings: Settings
    let meters = Meters()
    let store: AnalysisStore
    /// Warm candle windows per symbol (nil: every job reads its windows whole).
    public let cache: CandleCache?
    let live: LiveAnalysis
    let redis: RedisClient
    let keys: RedisKeys
    let logger: Logger
    let counts = Mutex(Counts())
    /// Queue wait + compute of the latest analyses, for the heartbeat.
    let latencies = Mutex(LatencyWindow())
    private let rateSample = Mutex<(time: ContinuousClock.Instant, analysed: Int)?>(nil)
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

    /// Heartbeat fields: the counters since start; `jobs_per_second` (analyses committed since
    /// the previous beat, per second); `group_lag` (jobs not yet delivered to the group) and
    /// `group_pending` (delivered, not yet acknowledged), over `jobs` and `jobs:now`
    /// (absent while Redis cannot tell); cache figures.
    public func stats() async -> [(String, String)] {
        let counts = counters
        let now = ContinuousClock.now
        let rate = rateSample.withLock { previous -> Double? in
            defer { previous = (now, counts.analysed) }
            guard let previous, now > previous.time else { return nil }
            let seconds = Double((now - previous.time).components.seconds) + Double((now - previous.time).components.attoseconds) / 1e18
            return seconds > 0 ? Double(counts.analysed - previous.analysed) / seconds : nil
        }
        var group: [(String, String)] = []
        var lag = 0
        var pending = 0
        var known = true
        for stream in [keys.jobs, keys.jobsNow] {
            guard let info = try? await redis.xinfoGroups(stream) else {
                known = false
                break
            }
            let mine = info.first { $0.name == RedisKeys.Group.inference }
            if let mine, mine.lag == nil { known = false }
            lag += mine?.lag ?? 0
            pending += mine?.pending ?? 0
        }
        if known { group = [("group_lag", String(lag)), ("group_pending", String(pending))] }
        if let rate { group.append(("jobs_per_second", String(format: "%.2f", rate))) }
        let window = latencies.withLock { $0 }
        if let p50 = window.quantile(0.5), let p99 = window.quantile(0.99) {
            group += [("latency_p50_ms", String(format: "%.1f", p50)), ("latency_p99_ms", String(format: "%.1f", p99))]
        }
        let cacheFields: [(String, String)] = cache.map { cache in
            let c = cache.counts
            return [("cache_symbols", String(cache.symbols)), ("cache_bytes", String(cache.bytes)), ("cache_hits", String(c.hits)),
                    ("cache_misses", String(c.misses + c.reloads))]
        } ?? []
        return group + cacheFields + [
            ("analysed", String(counts.analysed)), ("coalesced", String(counts.coalesced)), ("dead_letters", String(counts.dead)),
            ("signals", String(counts.signals)), ("resolved", String(counts.resolved)), ("published", String(counts.published)),
            ("waited_for_gaps", String(counts.waitedForGaps)),
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
        // The round whose commit, publication and acknowledgement run while the next round
        // reads its inputs and runs its heads. It is awaited before this consumer's pending
        // entries are read or claimed (its own are pending until acknowledged), before a sweep,
        // when no job is waiting, and before the loop ends.
        var committing: Task<Int64?, Never>?
        func settle() async {
            guard let task = committing else { return }
            committing = nil
            if let moment = await task.value { newestMoment = max(newestMoment, moment) }
        }
        do {
            while true {
                try Task.checkCancellation()
                var entries: [RedisStreamEntry] = []
                do {
                    // One reading of the clock decides both, so neither runs without the settle.
                    let now = ContinuousClock.now
                    let readPending = now - lastPending >= .seconds(1)
                    let claim = now - lastClaim >= settings.claimIdle / 2
                    if readPending || claim { await settle() }
                    // Own pending jobs first (a failed commit, a moment not stored yet), at most once a second.
                    if readPending {
                        lastPending = ContinuousClock.now
                        entries = try await redis.xreadgroup(
                            group: RedisKeys.Group.inference, consumer: settings.consumer, streams: streams, id: "0", count: settings.batch)
                    }
                    if claim {
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
                try Task.checkCancellation()
                if entries.isEmpty {
                    await settle()
                } else {
                    if let moment = await process(entries, committing: &committing) { newestMoment = max(newestMoment, moment) }
                }
                // Whatever an earlier publication left behind (Redis down at the time) goes out within 10 s.
                if ContinuousClock.now - lastSweep >= .seconds(10) {
                    lastSweep = ContinuousClock.now
                    await settle()
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
        } catch {
            await settle()
            throw error
        }
    }

    /// Handles job entries.
    ///
    /// Entries are worked off in rounds of at most one job per symbol (a symbol's later jobs go
    /// to the next round, so its signal state carries over in order). A round reads its inputs
    /// and runs the heads (`prepare`); then its analyses commit in one transaction
    /// (`AnalysisStore.commit(batch:)`), and the finished entries are acknowledged, and their
    /// waiting markers released, in one Redis pipeline (`complete`).
    ///
    /// The commit and what follows run in `committing` while the next round prepares: reading
    /// candles and running heads depend on no analysis or signal, and the signal state a
    /// decision needs is read inside the commit, which waits for the previous round's. So rounds
    /// commit in order, and a symbol's state carries over as before.
    /// - Returns: the newest moment of the rounds whose commit finished meanwhile.
    func process(_ entries: [RedisStreamEntry], committing: inout Task<Int64?, Never>?) async -> Int64? {
        var jobs: [(entry: RedisStreamEntry, job: AnalysisJob)] = []
        for entry in entries {
            do throws(ContractError) {
                jobs.append((entry, try AnalysisJob(fields: StreamFields(entry.fields))))
            } catch {
                await deadLetter(entry, reason: error.reason.description, detail: error.detail)
            }
        }
        var newest: Int64?
        while !jobs.isEmpty, !Task.isCancelled {
            var seen: Set<MarketSymbol> = []
            var round: [(entry: RedisStreamEntry, job: AnalysisJob)] = []
            var later: [(entry: RedisStreamEntry, job: AnalysisJob)] = []
            for item in jobs {
                if seen.insert(MarketSymbol(item.job.market, item.job.symbol)).inserted { round.append(item) } else { later.append(item) }
            }
            jobs = later
            let started = ContinuousClock.now
            // Jobs that have waited out their grace for a gap to be repaired are analysed as they are.
            let waitedOut = deferred.withLock { waiting in round.map { waiting[$0.entry.id].map { started - $0 >= settings.grace } ?? false } }
            let prepared = await prepare(round.map(\.job), started: started, acceptingGaps: waitedOut)
            // Shutting down: a round prepared meanwhile (its reads may have been cancelled) is
            // not committed; its jobs and the rest stay pending and are redelivered.
            if Task.isCancelled { break }
            // At most one round commits while the next prepares: the next commit waits for it.
            if let moment = await committing?.value { newest = max(newest ?? .min, moment) }
            committing = Task { await self.complete(round, prepared: prepared, started: started) }
        }
        return newest
    }

    /// What reading a job's inputs and running the heads gave: an analysis to commit
    /// (`item`), a moment not stored (`notStored`, with the newest stored minute, nil when none
    /// at all), or a failure to retry.
    struct Prepared: Sendable {
        var item: AnalysisStore.BatchItem?
        var consensus: Consensus?
        var notStored = false
        var newestStored: Int64?
        /// Minutes missing within the 1m window: the job waits for the gap to be repaired.
        var missingMinutes = 0
        var failure: String?
    }

    /// One result slot per job of a round, filled by the round's child tasks.
    final class PreparedSlots: Sendable {
        private let slots: Mutex<[Prepared]>
        init(_ values: [Prepared]) { slots = Mutex(values) }
        func set(_ index: Int, _ value: Prepared) { slots.withLock { $0[index] = value } }
        var values: [Prepared] { slots.withLock { $0 } }
    }

    /// Commits a prepared round, then publishes, acknowledges, retries or dead-letters its jobs;
    /// returns the newest moment analysed or found analysed.
    private func complete(
        _ round: [(entry: RedisStreamEntry, job: AnalysisJob)], prepared: [Prepared], started: ContinuousClock.Instant
    ) async -> Int64? {
        var items: [AnalysisStore.BatchItem] = []
        var itemIndices: [Int] = []
        for (index, result) in prepared.enumerated() {
            if let item = result.item {
                items.append(item)
                itemIndices.append(index)
            }
        }
        var results: [CommitResult?] = []
        var commitError: String?
        if !items.isEmpty {
            do {
                results = try await store.commit(batch: items)
            } catch {
                commitError = "\(error)"
            }
        }
        var finished: [(entry: RedisStreamEntry, job: AnalysisJob)] = []
        var publish = false
        var newest: Int64?
        for (position, index) in itemIndices.enumerated() {
            let (entry, job) = round[index]
            guard let item = prepared[index].item, let consensus = prepared[index].consensus else { continue }
            if let commitError {
                retry(job, commitError)
                continue
            }
            meters.queueWait.recordMilliseconds(Int64(item.analysis.queueWaitMilliseconds))
            latencies.withLock { $0.record(item.analysis.queueWaitMilliseconds + item.analysis.computeMilliseconds) }
            meters.compute.recordNanoseconds(Int64(item.analysis.computeMilliseconds * 1e6))
            for vote in consensus.votes {
                meters.votes[vote.head]?[vote.direction]?.increment()
            }
            if let result = results[position] {
                counts.withLock {
                    $0.analysed += 1
                    if result.signalID != nil { $0.signals += 1 }
                    if result.resolvedSignalID != nil { $0.resolved += 1 }
                }
                meters.analysed.increment()
                if result.signalID != nil { meters.signals.increment() }
                if result.resolvedSignalID != nil { meters.outcomes.increment() }
                if result.signalID != nil || result.resolvedSignalID != nil { publish = true }
            } else {
                // Triggers for one moment coalesce into one analysis; a redelivered job's work is
                // done, except perhaps its publication.
                counts.withLock { $0.coalesced += 1 }
                meters.coalesced.increment()
                publish = true
            }
            finished.append((entry, job))
            newest = max(newest ?? .min, job.moment)
        }
        for (index, result) in prepared.enumerated() {
            let (entry, job) = round[index]
            if result.item != nil { continue }
            if let error = result.failure {
                retry(job, error)
            } else if result.missingMinutes > 0 {
                // Pending until the gap is repaired, or the grace is over (then analysed as is).
                let first = firstDeferred(entry.id, at: started)
                if first == started {
                    counts.withLock { $0.waitedForGaps += 1 }
                    Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "waiting_for_gap")]).increment()
                    logger.info("job waits for a gap in its candles to be repaired", metadata: [
                        "job.id": "\(job.id)", "symbol": "\(job.symbol)", "gap.minutes": "\(result.missingMinutes)",
                    ])
                }
            } else if result.notStored {
                guard let newestStored = result.newestStored else {
                    await deadLetter(entry, reason: "unknown_symbol", detail: "no stored 1m candle of \(job.market.rawValue) \(job.symbol)")
                    continue
                }
                let first = firstDeferred(entry.id, at: started)
                if started - first >= settings.grace {
                    await deadLetter(entry, reason: "beyond_stored_candles",
                                     detail: "moment \(job.moment) is not among the stored minutes (newest \(newestStored))")
                }
                // Otherwise pending: retried from this consumer's pending list.
            }
        }
        if commitError != nil || prepared.contains(where: { $0.failure != nil }) {
            try? await Task.sleep(for: .milliseconds(200))
        }
        // Published before acknowledged, so a job counts as done only once its events are out.
        if publish { await publishCommitted() }
        await finish(finished)
        return newest
    }

    /// When a job that waits (for its moment's candle, or for a gap to be repaired) was first
    /// seen waiting; `now` for one seen the first time.
    private func firstDeferred(_ id: String, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        deferred.withLock { waiting in
            // Entries another consumer took over are forgotten after a while (the map stays small).
            if waiting.count > 10_000 { waiting = waiting.filter { now - $0.value < settings.grace * 10 } }
            let first = waiting[id, default: now]
            waiting[id] = first
            return first
        }
    }

    private func retry(_ job: AnalysisJob, _ error: String) {
        counts.withLock { $0.retried += 1 }
        Counter(label: "alphapulse.inference.jobs", dimensions: [("outcome", "retried")]).increment()
        logger.warning("job not committed; it stays pending and is retried", metadata: [
            "job.id": "\(job.id)", "symbol": "\(job.symbol)", "error": "\(error)",
        ])
    }

    /// Reads the round's inputs — every job's candle windows in one statement (uncached
    /// symbols' in parts read concurrently), the futures jobs' derivatives in another at the
    /// same time — and runs each job's heads: everything but the commit. Up to
    /// `settings.concurrency` jobs run their heads at once, and as many statements read at once.
    /// - Returns: one result per job, in order.
    private func prepare(_ jobs: [AnalysisJob], started: ContinuousClock.Instant, acceptingGaps: [Bool]) async -> [Prepared] {
        // The 1m candles an open signal may have been resolved by since its moment (expiry bounds them).
        let expiryMinutes = Int(live.signalRules.expiryMilliseconds / 60_000) + 2
        let requests = jobs.map { job in
            let end = job.moment + 60_000
            var wants = [AnalysisStore.Want(interval: .oneMinute, before: end, count: max(live.windows.oneMinute, expiryMinutes))]
            // Higher timeframes: complete candles only, those closed by the moment's close.
            for interval in live.windows.higherIntervals {
                wants.append(AnalysisStore.Want(interval: interval, before: interval.bucketStart(end), count: live.windows.higher))
            }
            return AnalysisStore.WindowRequest(market: job.market, symbol: job.symbol, wants: wants)
        }
        // The futures jobs' derivatives, read at the close of the moment's candle exactly as the
        // backtest reads them, alongside the candles: a 1m candle closes 59,999 ms after it
        // opens; one stored otherwise has its derivatives read again below, at its own close.
        let derivativesStore = DerivativesStore(postgres: store.postgres)
        let futureIndices = jobs.indices.filter { jobs[$0].market == .futures }
        let derivativesWindows = live.derivativesWindows
        async let derivativesRead = derivativesStore.histories(
            futureIndices.map { (jobs[$0].symbol, jobs[$0].moment + 59_999) }, windows: derivativesWindows)
        let windows: [[CandleInterval: [Candle]]]
        do {
            windows = try await store.windows(requests, cache: cache, concurrency: settings.concurrency)
        } catch {
            return jobs.map { _ in Prepared(failure: "\(error)") }
        }
        var results = Array(repeating: Prepared(failure: "not prepared"), count: jobs.count)
        // The jobs whose heads run: the moment's candle, and the 1m candles read (window and
        // resolution range); nil for a job whose result is settled already.
        var ready = Array(repeating: (candle: Candle, minutes: [Candle], missing: Int)?.none, count: jobs.count)
        var notStored: [Int] = []
        for (index, job) in jobs.enumerated() {
            let minutes = windows[index][.oneMinute] ?? []
            guard let candle = minutes.last, candle.openTime == job.moment else {
                notStored.append(index)
                continue
            }
            // Every minute between the oldest read and the moment: the analysis window and the
            // candles an open signal is resolved with.
            let missing = Int((candle.openTime - minutes[0].openTime) / 60_000) + 1 - minutes.count
            if missing > 0, !acceptingGaps[index] {
                results[index] = Prepared(missingMinutes: missing)
            } else {
                ready[index] = (candle, minutes, missing)
            }
        }
        if !notStored.isEmpty {
            do {
                let newest = try await store.newestMinutes(notStored.map { MarketSymbol(jobs[$0].market, jobs[$0].symbol) })
                for (index, time) in zip(notStored, newest) { results[index] = Prepared(notStored: true, newestStored: time) }
            } catch {
                for index in notStored { results[index] = Prepared(failure: "\(error)") }
            }
        }
        var derivatives = Array(repeating: DerivativesHistory?.none, count: jobs.count)
        var failed: [Int] = []
        var failure = ""
        var otherCloses: [(index: Int, symbol: String, moment: Int64)] = []
        do {
            for (index, history) in zip(futureIndices, try await derivativesRead) {
                guard let candle = ready[index]?.candle else { continue }
                if candle.closeTime == jobs[index].moment + 59_999 {
                    derivatives[index] = history
                } else {
                    otherCloses.append((index, jobs[index].symbol, candle.closeTime))
                }
            }
        } catch {
            failed = futureIndices
            failure = "\(error)"
        }
        if !otherCloses.isEmpty {
            do {
                let histories = try await derivativesStore.histories(otherCloses.map { ($0.symbol, $0.moment) }, windows: derivativesWindows)
                for (item, history) in zip(otherCloses, histories) { derivatives[item.index] = history }
            } catch {
                failed = otherCloses.map(\.index)
                failure = "\(error)"
            }
        }
        for index in failed where ready[index] != nil {
            results[index] = Prepared(failure: failure)
            ready[index] = nil
        }
        let wallNow = Int64(Date().timeIntervalSince1970 * 1000)
        // Each child task writes its own slot; the group returns nothing (a tuple result of this
        // shape came back with a corrupt index in debug builds of Swift 6.3.1).
        let slots = PreparedSlots(results)
        let width = max(1, settings.concurrency)
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for (index, job) in jobs.enumerated() {
                guard let (candle, minutes, missing) = ready[index] else { continue }
                if running >= width { await group.next() } else { running += 1 }
                let higher = windows[index]
                let history = derivatives[index]
                group.addTask {
                    slots.set(index, self.analyse(
                        job, candle: candle, minutes: minutes, missing: missing, higher: higher, derivatives: history,
                        queueWait: Double(max(0, wallNow - job.enqueuedAt)), started: started, expiryMinutes: expiryMinutes))
                }
            }
        }
        return slots.values
    }

    /// Runs a job's heads on its inputs (pure computation) and makes the analysis to commit.
    private func analyse(
        _ job: AnalysisJob, candle: Candle, minutes: [Candle], missing: Int, higher windows: [CandleInterval: [Candle]],
        derivatives: DerivativesHistory?, queueWait: Double, started: ContinuousClock.Instant, expiryMinutes: Int
    ) -> Prepared {
        let oneMinute = minutes.suffix(live.windows.oneMinute)
        var higher: [CandleInterval: [Candle]] = [:]
        // Newest and oldest open time and count of every window: with them a window is known
        // whole (a gap repaired later changes its oldest candle or its count).
        var inputs: [String: Int64] = ["1m": candle.openTime, "1m_from": oneMinute.first?.openTime ?? candle.openTime, "1m_count": Int64(oneMinute.count)]
        if missing > 0 { inputs["1m_missing"] = Int64(missing) }
        for interval in live.windows.higherIntervals {
            let list = windows[interval] ?? []
            higher[interval] = list
            if let last = list.last, let first = list.first {
                inputs[interval.rawValue] = last.openTime
                inputs[interval.rawValue + "_from"] = first.openTime
            }
            inputs[interval.rawValue + "_count"] = Int64(list.count)
        }
        let input = live.input(symbol: job.symbol, market: job.market, oneMinute: Array(oneMinute), higher: higher, derivatives: derivatives)
        // The derivatives used, by their newest sample time: with the candle times, the inputs' identity.
        for (series, time) in input.derivatives?.newestTimes ?? [:] { inputs[series.rawValue] = time }
        let consensus = live.analyzer.analyze(input)
        let atr = live.stopATR(input)
        let computed = ContinuousClock.now
        let computeMilliseconds = Double((computed - started).components.attoseconds) / 1e15 + Double((computed - started).components.seconds) * 1000
        let pending = PendingAnalysis(
            market: job.market, symbol: job.symbol, moment: job.moment, jobID: job.id, reason: job.reason, inputs: inputs,
            missingHeads: LiveAnalysis.missingHeads(consensus), queueWaitMilliseconds: queueWait, computeMilliseconds: computeMilliseconds)
        let live = self.live
        // A copy of the candles an open signal is resolved with, not the cached window: the next
        // round may top that window up in place while this one commits.
        let resolution = Array(minutes.suffix(expiryMinutes))
        let item = AnalysisStore.BatchItem(pending) { state in
            live.decide(consensus: consensus, atr: atr, candle: candle, state: state, resolutionCandles: resolution)
        }
        return Prepared(item: item, consensus: consensus)
    }

    /// Publishes committed signal events not yet published (the outbox), oldest first: every
    /// event's XADD and PUBLISH in one Redis pipeline, then the published ones marked in one
    /// statement. Events after the first one Redis refused stay unpublished for the next sweep
    /// (consumers de-duplicate by id and event, so one published twice does no harm).
    func publishCommitted() async {
        do {
            let events = try await store.unpublished()
            guard !events.isEmpty else { return }
            var commands: [[RedisArgument]] = []
            commands.reserveCapacity(events.count * 2)
            for event in events {
                commands.append(RedisArgument.xadd(keys.signals, maxLength: settings.signalsMaxLength, fields: event.fields))
                commands.append(["PUBLISH", RedisArgument(keys.signals), RedisArgument(event.message)])
            }
            let replies = try await redis.pipeline(commands: commands)
            var published: [SignalEvent] = []
            for (index, event) in events.enumerated() {
                guard case .bulk = replies[2 * index], case .integer = replies[2 * index + 1] else {
                    logger.warning("Redis refused a signal event; it is published by a later sweep", metadata: [
                        "signal.id": "\(event.id)", "event": "\(event.kind.rawValue)",
                        "reply": "\(replies[2 * index]) \(replies[2 * index + 1])",
                    ])
                    break
                }
                published.append(event)
            }
            try await store.markPublished(published)
            counts.withLock { $0.published += published.count }
            for event in published {
                Counter(label: "alphapulse.inference.published", dimensions: [("event", event.kind.rawValue)]).increment()
            }
        } catch {
            // Left for the next sweep: every job and the start of every instance sweeps.
            logger.warning("signal events not published yet", metadata: ["error": "\(error)"])
        }
    }

    /// After the commit: the reply of an on-demand job, the marker, the acknowledgement.
    /// Finishes committed jobs: replies to on-demand ones; then, in one pipeline, releases the
    /// routine ones' waiting markers (compare-and-delete: a newer job of the symbol may have set
    /// its own) and acknowledges every entry.
    private func finish(_ done: [(entry: RedisStreamEntry, job: AnalysisJob)]) async {
        guard !done.isEmpty else { return }
        for (_, job) in done {
            guard let replyKey = job.replyKey, keys.isReplyKey(replyKey) else { continue }
            do {
                if let stored = try await store.analysis(market: job.market, symbol: job.symbol, moment: job.moment) {
                    let reply = AnalysisReply(jobID: job.id, analysisID: stored.id, moment: stored.moment, market: job.market,
                                              symbol: job.symbol, consensus: stored.consensus, signalID: stored.signalID,
                                              missingHeads: stored.missingHeads)
                    _ = try await redis.send(arguments: ["LPUSH", RedisArgument(replyKey), RedisArgument(bytes: reply.encoded())])
                    _ = try await redis.pexpire(replyKey, after: settings.replyTTL)
                }
            } catch {
                logger.warning("on-demand reply not sent yet", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
                return  // unacknowledged: the redelivery finds the analysis and replies
            }
        }
        var commands: [[RedisArgument]] = done.compactMap { item in
            item.job.replyKey != nil ? nil
                : RedisClient.releaseLeaseCommand(RedisLease(key: keys.jobQueued(item.job.market, item.job.symbol, kind: item.job.kind), token: item.job.id, ttl: .seconds(1)))
        }
        for stream in Set(done.map(\.entry.stream)).sorted() {
            let ids = done.filter { $0.entry.stream == stream }.map(\.entry.id)
            commands.append(["XACK", RedisArgument(stream), RedisArgument(RedisKeys.Group.inference)] + ids.map { RedisArgument($0) })
        }
        do {
            for reply in try await redis.pipeline(commands: commands) { _ = try reply.checked() }
            deferred.withLock { waiting in for item in done { waiting.removeValue(forKey: item.entry.id) } }
        } catch {
            // Committed already: a redelivery finds the analyses and only finishes.
            logger.warning("jobs committed but not acknowledged yet", metadata: ["jobs": "\(done.count)", "error": "\(error)"])
        }
    }

    private func deadLetter(_ entry: RedisStreamEntry, reason: String, detail: String) async {
        let letter = DeadLetter(
            reason: reason, detail: detail, stream: entry.stream, id: entry.id, consumer: settings.consumer,
            at: Int64(Date().timeIntervalSince1970 * 1000), original: entry.fields)
        do {
            _ = try await redis.xadd(keys.jobsDead, fields: letter.fields, maxLength: 100_000)
            // An on-demand requester learns why at once. Only a reply list of this prefix is
            // written: a stream entry must not steer writes to any other key.
            if let replyKey = entry.fields.first(where: { $0.name == "reply" })?.value, keys.isReplyKey(replyKey), replyKey.utf8.count <= 512 {
                let jobID = entry.fields.first(where: { $0.name == "id" })?.value ?? ""
                let failure = AnalysisFailure(jobID: String(jobID.prefix(64)), error: reason, detail: detail)
                _ = try await redis.send(arguments: ["LPUSH", RedisArgument(replyKey), RedisArgument(bytes: failure.encoded())])
                _ = try await redis.pexpire(replyKey, after: settings.replyTTL)
            }
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

