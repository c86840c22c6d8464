import Binance
import Core
import Foundation
import Logging
import Metrics
import REST
import Synchronization

/// Fetches over REST the closed 1m klines a symbol is missing and feeds them through the same
/// path as the stream (the `candles` stream, source `backfill`), and brings each symbol the
/// higher-interval history its analyses read.
///
/// History: the 1m backfill reaches at most `ingest.backfill_max_hours` back, but the heads
/// read 300 candles of each higher timeframe (``AnalysisWindows``; 300 4h candles are 50 days).
/// For each such interval whose newest `count` closed buckets are not all stored, Binance's own
/// klines of that interval are fetched (one request per interval) and stored beside the
/// rollups (`CandleStore.insertHistory`: a stored candle, rollup or not, is kept). Binance's
/// 5m…4h klines equal the rollups of its 1m klines (`HistoryBackfillTests` checks this on the
/// replay), so a window mixing the two is consistent.
///
/// Requests are queued per symbol (a symbol queued twice is fetched once) and worked off by up
/// to `concurrency` workers (`ingest.backfill_concurrency`), never two at once for one symbol,
/// half of them per market while both markets have jobs waiting (each market waits for its own
/// weight budget), in queue order otherwise, 1,000 klines per request (spot weight 2, futures weight 5). The
/// queue is bounded by the symbols tracked: a symbol has at most one since-last-stored job, one
/// history job, and gap ranges merged when they touch. Each request spends
/// its weight from the suite's one Binance budget (`BinanceBudget`, through the client's
/// configuration), and the backfill also pauses when Binance's own count nears the limit
/// (`X-MBX-USED-WEIGHT-1M`: spot 6,000, futures 2,400 per minute; the REST client honours
/// 429/418 `Retry-After`).
///
/// "Now" is Binance's clock — the newest event time seen on the market's streams — so a
/// replay running in the past backfills correctly; the kline still in progress is never taken.
public final class Backfiller: Sendable {
    public struct Settings: Sendable {
        public var firstCandles: Int
        public var maxLookback: Int64
        /// Closed candles each higher interval must have stored (empty: no history fetch).
        public var history: [(interval: CandleInterval, count: Int)]
        /// Jobs worked at once (of distinct symbols).
        public var concurrency: Int
        public init(
            firstCandles: Int, maxLookbackHours: Double, history: [(interval: CandleInterval, count: Int)] = [], concurrency: Int = 1
        ) {
            self.concurrency = max(1, concurrency)
            self.firstCandles = firstCandles
            self.maxLookback = Int64(maxLookbackHours * 3_600_000)
            self.history = history.filter { $0.interval != .oneMinute && $0.count > 0 }
        }
    }

    /// Where history is read and written.
    public struct HistoryStore: Sendable {
        /// Candles of an interval stored with open times in [from, to).
        public var count: @Sendable (Market, String, CandleInterval, _ from: Int64, _ to: Int64) async throws -> Int
        /// Stores higher-interval candles, keeping any already stored; returns the rows inserted.
        public var insert: @Sendable ([CandleRow]) async throws -> Int
        public init(
            count: @escaping @Sendable (Market, String, CandleInterval, Int64, Int64) async throws -> Int,
            insert: @escaping @Sendable ([CandleRow]) async throws -> Int
        ) {
            self.count = count
            self.insert = insert
        }
    }

    /// A range of 1m candles to fetch, [from, to] of open times (`to` nil means "up to now"),
    /// or, with `history`, the symbol's higher-interval history.
    struct Job: Sendable, Hashable {
        var market: Market
        var symbol: String
        var from: Int64?
        var to: Int64?
        var history = false

        var key: String { market.rawValue + " " + symbol }
    }

    struct Queue {
        var jobs: [Job] = []
        /// Symbols (`Job.key`) a worker is on.
        var busy: Set<String> = []
        /// Workers on each market.
        var working: [Market: Int] = [:]
        var wake: AsyncStream<Void>.Continuation?

        /// Takes, if a worker is free, the first queued job whose symbol no worker is on, of a
        /// market that has fewer than half the workers; failing that, the first such job of
        /// any market. Each market's requests wait for its own weight budget, so futures
        /// waiting for theirs must not hold up spot jobs queued behind them, nor the reverse.
        mutating func take(width: Int) -> Job? {
            guard busy.count < width else { return nil }
            let share = max(1, width / 2)
            var first: Int?
            var chosen: Int?
            for index in jobs.indices where !busy.contains(jobs[index].key) {
                if first == nil { first = index }
                if working[jobs[index].market, default: 0] < share {
                    chosen = index
                    break
                }
            }
            guard let index = chosen ?? first else { return nil }
            let job = jobs.remove(at: index)
            busy.insert(job.key)
            working[job.market, default: 0] += 1
            return job
        }

        /// A worker is done with `job`.
        mutating func finish(_ job: Job) {
            busy.remove(job.key)
            working[job.market, default: 1] -= 1
        }
    }

    let client: RESTClient
    let endpoints: ConnectionManager.Endpoints
    let sink: KlineSink
    let settings: Settings
    let lastStored: @Sendable (Market, String) async throws -> Int64?
    let firstStored: (@Sendable (Market, String) async throws -> Int64?)?
    let historyStore: HistoryStore?
    let logger: Logger
    let metrics: IngestMetrics
    private let queue = Mutex(Queue())
    private let counts = Mutex<(fetched: Int, failures: Int, historyRequests: Int)>((0, 0, 0))

    public init(
        client: RESTClient, endpoints: ConnectionManager.Endpoints, sink: KlineSink, settings: Settings, metrics: IngestMetrics,
        logger: Logger, historyStore: HistoryStore? = nil, firstStored: (@Sendable (Market, String) async throws -> Int64?)? = nil,
        lastStored: @escaping @Sendable (Market, String) async throws -> Int64?
    ) {
        self.firstStored = firstStored
        self.historyStore = historyStore
        self.client = client
        self.endpoints = endpoints
        self.sink = sink
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.lastStored = lastStored
    }

    /// Queues "everything missing since the last stored kline" for each symbol, then (after all
    /// of those, so live minutes come first) each symbol's missing higher-interval history.
    public func requestSinceLastStored(_ market: Market, _ symbols: [String]) {
        enqueue(symbols.map { Job(market: market, symbol: $0, from: nil, to: nil) })
        if historyStore != nil, !settings.history.isEmpty {
            enqueue(symbols.map { Job(market: market, symbol: $0, from: nil, to: nil, history: true) })
        }
    }

    /// Queues one gap (open times `from...to`).
    public func requestRange(_ market: Market, _ symbol: String, from: Int64, to: Int64) {
        enqueue([Job(market: market, symbol: symbol, from: from, to: to)])
    }

    /// Candles fetched so far (closed klines handed to the sink).
    public var fetched: Int { counts.withLock { $0.fetched } }
    /// Jobs queued, not being worked.
    public var pending: Int { queue.withLock { $0.jobs.count } }
    /// Jobs being worked now.
    public var working: Int { queue.withLock { $0.busy.count } }
    /// Jobs queued or being worked, read at once (a retried job is queued again before its
    /// worker is done, so `pending + working` read apart could miss it).
    public var outstanding: Int { queue.withLock { $0.jobs.count + $0.busy.count } }
    /// The symbols being worked now, as "market symbol".
    var workingSymbols: Set<String> { queue.withLock { $0.busy } }
    /// Klines requests made for higher-interval history so far.
    public var historyRequests: Int { counts.withLock { $0.historyRequests } }

    /// Adds jobs; a range that overlaps or touches a queued range of the same symbol is merged
    /// into it, so a gap reported again while queued is fetched once.
    private func enqueue(_ jobs: [Job]) {
        queue.withLock { state in
            for job in jobs where !state.jobs.contains(job) {
                if let from = job.from, let to = job.to,
                   let index = state.jobs.firstIndex(where: { queued in
                       queued.market == job.market && queued.symbol == job.symbol && queued.from.map { $0 <= to + 60_000 } == true
                           && queued.to.map { $0 + 60_000 >= from } == true
                   }) {
                    state.jobs[index].from = min(state.jobs[index].from!, from)
                    state.jobs[index].to = max(state.jobs[index].to!, to)
                } else {
                    state.jobs.append(job)
                }
            }
            state.wake?.yield()
        }
    }

    /// Works off the queue until cancelled, `settings.concurrency` jobs at a time.
    public func run() async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        queue.withLock { $0.wake = wake }
        defer { wake.finish() }
        var iterator = wakes.makeAsyncIterator()
        let width = settings.concurrency
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                // A finished job, like a queued one, wakes this loop.
                guard let job = queue.withLock({ $0.take(width: width) }) else {
                    _ = await iterator.next()
                    continue
                }
                group.addTask {
                    await self.work(job)
                    self.queue.withLock { state in
                        state.finish(job)
                        state.wake?.yield()
                    }
                }
            }
        }
    }

    /// One job; a failure is retried 2 s later from the end of the queue.
    private func work(_ job: Job) async {
        do {
            if job.history { try await fillHistory(job) } else { try await fill(job) }
        } catch is CancellationError {
            return
        } catch let error as RESTError where error.code == .cancelled {
            return
        } catch {
            counts.withLock { $0.failures += 1 }
            logger.warning("backfill failed; retrying later", metadata: [
                "market": "\(job.market.rawValue)", "symbol": "\(job.symbol)", "error": "\(error)",
            ])
            do { try await Task.sleep(for: .seconds(2)) } catch { return }
            enqueue([job])
        }
    }

    private func fill(_ job: Job) async throws {
        guard let now = sink.exchangeNow(job.market) else {
            // Nothing heard from the exchange yet: no idea what "now" is. Retry shortly.
            try await Task.sleep(for: .milliseconds(500))
            enqueue([job])
            return
        }
        let lastClosedOpen = CandleInterval.oneMinute.bucketStart(now) - 60_000
        var from: Int64
        if let start = job.from {
            from = start
        } else if let last = try await lastStored(job.market, job.symbol) {
            from = last + 60_000
            // The live stream may have stored a symbol's first minutes before this job came up
            // (a long queue at start: 2,000 symbols at Binance's weight limits; a symbol a
            // re-rank added): its first candles, before the oldest stored minute, are still owed.
            if settings.firstCandles > 0, let firstStored, let first = try await firstStored(job.market, job.symbol) {
                let head = CandleInterval.oneMinute.bucketStart(
                    max(lastClosedOpen - Int64(settings.firstCandles - 1) * 60_000, now - settings.maxLookback))
                if head < first { enqueue([Job(market: job.market, symbol: job.symbol, from: head, to: first - 60_000)]) }
            }
        } else {
            guard settings.firstCandles > 0 else { return }
            from = lastClosedOpen - Int64(settings.firstCandles - 1) * 60_000
        }
        from = CandleInterval.oneMinute.bucketStart(max(from, now - settings.maxLookback))
        let to = min(job.to ?? lastClosedOpen, lastClosedOpen)
        var total = 0
        while from <= to {
            // Redis down or the sink near its cap: fetching now would only fill memory.
            while !sink.accepting { try await Task.sleep(for: .seconds(1)) }
            let path = job.market == .spot ? endpoints.spot + "/api/v3/klines" : endpoints.futures + "/fapi/v1/klines"
            let limit = Int(min(1000, (to - from) / 60_000 + 1))
            let response = try await client.get(path, query: [
                ("symbol", job.symbol), ("interval", "1m"), ("startTime", String(from)),
                ("endTime", String(to + 59_999)), ("limit", String(limit)),
            ], cost: RequestCost(pool: job.market.rawValue, weight: RequestWeights.klines(job.market, limit: limit)))
            let parsed = try response.body.withUnsafeBytes { body in
                try Result { () throws(FrameReject) -> RESTKlines in
                    try RESTKlines.parse(body, symbol: job.symbol, interval: .oneMinute, market: job.market, now: now)
                }.get()
            }
            for reject in parsed.rejected { metrics.dropped(reject.reject.reason.rawValue) }
            let closed = parsed.klines.filter { $0.isClosed && $0.openTime >= from && $0.openTime <= to }
            sink.closed(closed, market: job.market, source: .backfill)
            total += closed.count
            guard let last = parsed.klines.last?.openTime, last >= from else { break }
            from = last + 60_000
            if parsed.klines.count < limit { break }
            try await pace(response, job.market)
        }
        if total > 0 {
            counts.withLock { $0.fetched += total }
            metrics.backfilled(total)
            logger.info("backfilled", metadata: ["market": "\(job.market.rawValue)", "symbol": "\(job.symbol)", "candles": "\(total)"])
        }
    }

    /// Brings the symbol's higher intervals to `settings.history` closed candles each, from
    /// Binance's klines of that interval; an interval already complete costs no request.
    private func fillHistory(_ job: Job) async throws {
        guard let store = historyStore else { return }
        guard let now = sink.exchangeNow(job.market) else {
            try await Task.sleep(for: .milliseconds(500))
            enqueue([job])
            return
        }
        var total = 0
        for (interval, count) in settings.history {
            let width = interval.milliseconds
            let lastClosed = interval.bucketStart(now) - width
            let from = lastClosed - Int64(count - 1) * width
            guard try await store.count(job.market, job.symbol, interval, from, lastClosed + width) < count else { continue }
            while !sink.accepting { try await Task.sleep(for: .seconds(1)) }
            let path = job.market == .spot ? endpoints.spot + "/api/v3/klines" : endpoints.futures + "/fapi/v1/klines"
            counts.withLock { $0.historyRequests += 1 }
            let response = try await client.get(path, query: [
                ("symbol", job.symbol), ("interval", interval.rawValue), ("startTime", String(from)),
                ("endTime", String(lastClosed + width - 1)), ("limit", String(min(count, 1000))),
            ], cost: RequestCost(pool: job.market.rawValue, weight: RequestWeights.klines(job.market, limit: min(count, 1000))))
            let parsed = try response.body.withUnsafeBytes { body in
                try Result { () throws(FrameReject) -> RESTKlines in
                    try RESTKlines.parse(body, symbol: job.symbol, interval: KlineInterval(interval), market: job.market, now: now)
                }.get()
            }
            for reject in parsed.rejected { metrics.dropped(reject.reject.reason.rawValue) }
            let rows = parsed.klines.filter { $0.isClosed && $0.openTime >= from && $0.openTime <= lastClosed }
                .map { KlineSink.row($0, market: job.market, source: .backfill, interval: interval) }
            total += try await store.insert(rows)
            try await pace(response, job.market)
        }
        if total > 0 {
            metrics.history(total)
            logger.info("history stored", metadata: ["market": "\(job.market.rawValue)", "symbol": "\(job.symbol)", "candles": "\(total)"])
        }
    }

    /// Pauses to the next minute when the used request weight nears the market's limit
    /// (`X-MBX-USED-WEIGHT-1M`: spot 6,000, futures 2,400 per minute).
    private func pace(_ response: RESTClient.Response, _ market: Market) async throws {
        if let used = response.usedWeight1m, used > (market == .spot ? 4_800 : 1_900) {
            logger.info("backfill pausing: request weight near the limit", metadata: ["weight.used": "\(used)"])
            try await Task.sleep(for: .seconds(Double(60 - (Int(Date().timeIntervalSince1970) % 60)) + 1))
        }
    }
}
