import Analysis
import CandleStore
import Contracts
import Core
import Foundation
import Inference
import Logging
import Postgres
import Redis
import Schema
import Testing
import TestSupport

/// `alphapulse-inference serve` against real PostgreSQL and Redis, on the fixture month of
/// LINKUSDT: the live path decides what the backtest decides at the same moments.
@Suite(.serialized) struct InferenceServiceTests {
    struct Bench {
        let redis: RedisClient
        let keys: RedisKeys
        let pool: PostgresPool
        let service: InferenceService

        func enqueue(_ job: AnalysisJob, onDemand: Bool = false) async throws {
            _ = try await redis.xadd(onDemand ? keys.jobsNow : keys.jobs, fields: job.fields)
        }

        func analyses() async throws -> Int {
            try await pool.query("SELECT count(*) FROM analyses").first.map { try $0.decode(0, as: Int.self) } ?? 0
        }

        /// `count` analyses stored and no job pending.
        func settled(analyses count: Int) async -> Bool {
            let stored = try? await analyses()
            let pending = try? await pendingJobs()
            return stored == count && pending == 0
        }

        func pendingJobs() async throws -> Int {
            var total = 0
            for stream in [keys.jobs, keys.jobsNow] { total += try await redis.xpending(stream, group: RedisKeys.Group.inference).count }
            return total
        }
    }

    static let live = LiveAnalysis(analyzer: Analyzer(heads: Heads.all(), rules: ConsensusRules()), signalRules: SignalRules(), stopATR: StopATR())

    static func with(_ name: String, grace: String = "1", _ body: (Bench) async throws -> Void) async throws {
        try await TestStores.with("inference_" + name) { stores in
            let (pool, redis, keys) = (stores.pool, stores.redis, RedisKeys(prefix: stores.prefix))
            _ = try await ArchiveImporter(store: CandleStore(postgres: pool)).importFile(Fixtures.futuresArchive("LINKUSDT"), market: .futures)
            let config = try AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: ["inference.job_grace_seconds": grace]))
            var settings = InferenceService.Settings(config: config, consumer: "test-1")
            settings.readBlock = .milliseconds(100)
            var logger = Logger(label: "test.inference")
            logger.logLevel = .error
            let service = InferenceService(
                settings: settings, store: AnalysisStore(postgres: pool), live: live, redis: redis, keys: keys, logger: logger,
                cache: CandleCache(maxBytes: 64 << 20))
            let task = Task { try await service.run() }
            defer { task.cancel() }
            try await body(Bench(redis: redis, keys: keys, pool: pool, service: service))
            task.cancel()
            _ = try? await task.value
        }
    }

    static func job(_ id: String, _ moment: Int64, symbol: String = "LINKUSDT", reason: String = "schedule", reply: String? = nil) -> AnalysisJob {
        AnalysisJob(id: id, market: .futures, symbol: symbol, moment: moment, reason: reason, replyKey: reply, enqueuedAt: moment + 60_000)
    }

    /// The backtest of LINKUSDT over Feb 13–17 of the fixture month, in 5-minute steps.
    static func backtest() throws -> BacktestReport {
        let candles = try KlineCSV.parse(try Fixtures.futuresMonth("LINKUSDT"), market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
        let from = candles[0].openTime + 12 * 86_400_000
        return Backtester(
            heads: Heads.all(), options: BacktestOptions(from: from, to: from + 4 * 86_400_000, stepMinutes: 5, scoreHeads: false),
            atr: { StopATR()($0) }
        ).run(candles)
    }

    /// Live equals backtest: at the moment the backtest opens its first signal, the service
    /// opens the same signal (direction, entry, stop, targets), publishes it once committed, and
    /// later resolves it as the backtest does, and publishes that too.
    @Test func theLivePathOpensAndResolvesTheBacktestsSignal() async throws {
        let backtest = try Self.backtest()
        let first = try #require(backtest.results.first, "the backtest resolves a signal in those four days (the first, on Feb 13)")
        let signal = first.signal
        let opened = signal.createdAt - 59_999

        try await Self.with(#function) { bench in
            let marker = bench.keys.jobQueued(.futures, "LINKUSDT", kind: "schedule")
            _ = try await bench.redis.set(marker, to: "open-1")
            // One step earlier (no signal in the backtest there), then the signal's moment.
            try await bench.enqueue(Self.job("before-1", opened - 5 * 60_000))
            try await bench.enqueue(Self.job("open-1", opened))
            #expect(await waitUntil(timeout: .seconds(60)) { await bench.settled(analyses: 2) })
            let rows = try await bench.pool.query("""
                SELECT id, direction, entry::float8, stop::float8, targets::float8[], status, published_at IS NOT NULL, job_id
                FROM signals ORDER BY id
                """)
            try #require(rows.count == 1, "exactly one signal, at the backtest's moment")
            let row = rows[0]
            #expect(try row.decode(1, as: String.self) == signal.direction.rawValue)
            #expect(try row.decode(2, as: Double.self) == signal.entry && abs(try row.decode(3, as: Double.self) - signal.stop) < 1e-9)
            let targets = try row.decode(4, as: [Double].self)
            #expect(targets.count == 2 && abs(targets[0] - signal.target1) < 1e-9 && abs(targets[1] - signal.target2) < 1e-9)
            #expect(try row.decode(5, as: String.self) == "open" && row.decode(7, as: String.self) == "open-1")
            #expect(try row.decode(6, as: Bool.self), "published after its commit")
            #expect(try await bench.redis.get(marker) == nil, "the job's waiting marker is gone")
            let signalID = try row.decode(0, as: Int64.self)

            // The moment the backtest resolves it: resolved from the 1m candles since, published.
            let resolvedMoment = CandleInterval.oneMinute.bucketStart(first.outcome.resolvedAt)
            try await bench.enqueue(Self.job("resolve-1", resolvedMoment))
            #expect(await waitUntil(timeout: .seconds(60)) { await bench.settled(analyses: 3) })
            let resolved = try await bench.pool.query("""
                SELECT status, exit_price::float8, outcome_r, outcome_published_at IS NOT NULL FROM signals WHERE id = \(signalID)
                """)
            #expect(try resolved[0].decode(0, as: String.self) == first.outcome.status.rawValue)
            #expect(abs(try resolved[0].decode(1, as: Double.self) - first.outcome.exitPrice) < 1e-9)
            #expect(abs(try resolved[0].decode(2, as: Double.self) - first.outcome.returnR) < 1e-9)
            #expect(try resolved[0].decode(3, as: Bool.self))

            let events = try await bench.redis.xrange(bench.keys.signals).map { try SignalEvent(fields: StreamFields($0.fields)) }
            #expect(events.map(\.kind) == [.opened, .resolved] && events.allSatisfy { $0.id == signalID })
            #expect(events[0].direction == signal.direction.rawValue && events[0].entry == signal.entry)
            #expect(events[1].status == first.outcome.status.rawValue)

            // A trigger for a moment already analysed coalesces: no second analysis or signal.
            try await bench.enqueue(Self.job("again-1", opened, reason: "close_5m"))
            #expect(await waitUntil(timeout: .seconds(60)) {
                let pending = try? await bench.pendingJobs()
                return pending == 0 && bench.service.counters.coalesced >= 1
            })
            #expect(try await bench.analyses() == 3)
            #expect(try await bench.redis.xlen(bench.keys.signals) == 2, "nothing published twice")

            // A crash between commit and publication left both events unpublished: the next
            // sweep (a redelivered job's) publishes them in one go, in order, and marks both.
            _ = try await bench.pool.execute("UPDATE signals SET published_at = NULL, outcome_published_at = NULL WHERE id = \(signalID)")
            try await bench.enqueue(Self.job("again-2", opened, reason: "close_15m"))
            #expect(await waitUntil(timeout: .seconds(60)) { (try? await bench.redis.xlen(bench.keys.signals)) == 4 })
            let again = try await bench.redis.xrange(bench.keys.signals).map { try SignalEvent(fields: StreamFields($0.fields)) }
            #expect(again.map(\.kind) == [.opened, .resolved, .opened, .resolved] && again.allSatisfy { $0.id == signalID })
            #expect(await waitUntil(timeout: .seconds(60)) {
                let marked = try? await bench.pool.query("""
                    SELECT published_at IS NOT NULL AND outcome_published_at IS NOT NULL FROM signals WHERE id = \(signalID)
                    """).first?.decode(0, as: Bool.self)
                return marked == true
            }, "both events marked published")
            #expect(try await bench.redis.xlen(bench.keys.signals) == 4, "and not published again")
        }
    }

    /// Bad jobs are dead-lettered with a reason and never block the group; an on-demand job is
    /// served first and answered on its reply key.
    /// A job whose window has a hole (minutes ingest is still backfilling) waits, pending, until
    /// the gap is repaired, so its analysis sees every minute; past the grace a job is analysed
    /// as it is, with the missing minutes recorded in its inputs.
    @Test func aJobWaitsForAGapInItsWindowToBeRepaired() async throws {
        let last: Int64 = 1_769_904_000_000 + 28 * 86_400_000 - 60_000  // 2026-02-28 23:59
        let gap = "open_time BETWEEN to_timestamp(\((last - 3_600_000) / 1000)) AND to_timestamp(\((last - 3_480_000) / 1000))"
        func inputs(_ bench: Bench) async throws -> (from: Int64?, missing: Int64?) {
            let row = try #require(try await bench.pool.query("SELECT (inputs->>'1m_from')::bigint, (inputs->>'1m_missing')::bigint FROM analyses").first)
            return (try row.decode(0, as: Int64?.self), try row.decode(1, as: Int64?.self))
        }
        func waited(_ bench: Bench) async -> String? { await bench.service.stats().first { $0.0 == "waited_for_gaps" }?.1 }
        try await Self.with(#function, grace: "3600") { bench in
            _ = try await bench.pool.withConnection { try await $0.execute(unsafeScript: "CREATE TABLE held AS SELECT * FROM candles_1m WHERE \(gap); DELETE FROM candles_1m WHERE \(gap)") }
            try await bench.enqueue(Self.job("gap-1", last))
            #expect(await waitUntil(timeout: .seconds(60)) { await waited(bench) == "1" }, "the job waits for the gap")
            #expect(try await bench.analyses() == 0)
            #expect(try await bench.pendingJobs() == 1)
            _ = try await bench.pool.withConnection { try await $0.execute(unsafeScript: "INSERT INTO candles_1m SELECT * FROM held") }
            #expect(await waitUntil(timeout: .seconds(60)) { await bench.settled(analyses: 1) })
            let seen = try await inputs(bench)
            #expect(seen.from == last - 499 * 60_000 && seen.missing == nil, "\(seen)")
        }
        try await Self.with(#function + "-grace", grace: "1") { bench in
            _ = try await bench.pool.withConnection { try await $0.execute(unsafeScript: "DELETE FROM candles_1m WHERE \(gap)") }
            try await bench.enqueue(Self.job("gap-2", last))
            #expect(await waitUntil(timeout: .seconds(60)) { await bench.settled(analyses: 1) })
            let seen = try await inputs(bench)
            #expect(seen.missing == 3 && seen.from == last - 502 * 60_000, "\(seen)")
        }
    }

    @Test func badJobsAreDeadLetteredAndOnDemandJobsAreAnswered() async throws {
        let last: Int64 = 1_769_904_000_000 + 28 * 86_400_000 - 60_000  // 2026-02-28 23:59
        try await Self.with(#function) { bench in
            _ = try await bench.redis.xadd(bench.keys.jobs, fields: [("_v", "2"), ("id", "x"), ("m", "futures")])
            try await bench.enqueue(Self.job("unknown-1", last, symbol: "NOSUCHUSDT"))
            try await bench.enqueue(Self.job("future-1", last + 3_600_000))
            let reply = bench.keys.reply("now-1")
            try await bench.enqueue(Self.job("now-1", last, reason: "on_demand", reply: reply), onDemand: true)
            // An on-demand job that cannot be analysed is answered with the reason; one naming a
            // key that is no reply list gets nothing written there.
            let failed = bench.keys.reply("gateway:test")
            try await bench.enqueue(Self.job("now-2", last, symbol: "NOSUCHUSDT", reason: "on_demand", reply: failed), onDemand: true)
            let foreign = bench.keys.prefix + "symbols"
            try await bench.enqueue(Self.job("now-3", last, symbol: "NOSUCHUSDT", reason: "on_demand", reply: foreign), onDemand: true)

            #expect(await waitUntil(timeout: .seconds(60)) { (try? await bench.redis.xlen(bench.keys.jobsDead)) == 5 })
            let letters = try await bench.redis.xrange(bench.keys.jobsDead).map { Dictionary(uniqueKeysWithValues: $0.fields.map { ($0.name, $0.value) }) }
            #expect(Set(letters.compactMap { $0["reason"] }) == ["missing_field", "unknown_symbol", "beyond_stored_candles"], "\(letters)")
            #expect(try await bench.pendingJobs() == 0, "every job acknowledged")
            let failure = try OnDemandReply.decode(try #require(try await bench.redis.send("LPOP", failed).bytes))
            #expect(failure == .failure(AnalysisFailure(jobID: "now-2", error: "unknown_symbol", detail: "no stored 1m candle of futures NOSUCHUSDT")))
            #expect(try await bench.redis.exists(foreign) == 0)

            if case .expires = try await bench.redis.pttl(reply) {} else { Issue.record("the reply list expires") }
            let answer = try #require(try await bench.redis.send("LPOP", reply).bytes)
            #expect(try OnDemandReply.decode(answer).jobID == "now-1")
            let decoded = try AnalysisReply.decode(answer)
            #expect(decoded.jobID == "now-1" && decoded.moment == last && decoded.symbol == "LINKUSDT" && decoded.consensus.votes.count == 9)
            let stored = try #require(try await AnalysisStore(postgres: bench.pool).analysis(market: .futures, symbol: "LINKUSDT", moment: last))
            #expect(stored.id == decoded.analysisID)
            // The row keeps the votes once, in `votes`; the consensus reads back whole.
            #expect(stored.consensus == decoded.consensus)
            let copies = try await bench.pool.query("SELECT count(*) FILTER (WHERE consensus ? 'votes')::bigint, count(*)::bigint FROM analyses")
            #expect(try copies[0].decode(0, as: Int64.self) == 0 && copies[0].decode(1, as: Int64.self) > 0)
            // The sentiment head has no derivatives data stored: it says so.
            #expect(stored.missingHeads.contains("sentiment"))
        }
    }

    /// With derivatives stored, the sentiment head votes from them live, exactly as it votes in
    /// a backtest reading the same table; the analysis records which samples it used; stale
    /// series are left out.
    @Test func sentimentVotesFromStoredDerivativesAsInTheBacktest() async throws {
        try await Self.with(#function) { bench in
            let moment: Int64 = 1_769_904_000_000 + 20 * 86_400_000 + 10 * 3_600_000
            let close = moment + 59_999
            let store = DerivativesStore(postgres: bench.pool)
            var samples: [DerivativesStore.Sample] = []
            // Crowded longs: rich funding every 8 h for five days, a long/short ratio of 2.8 and
            // rising open interest every 5 minutes for six hours, up to the moment.
            for event in 0..<15 {
                samples.append(.init(symbol: "LINKUSDT", series: .funding, time: CandleInterval.oneMinute.bucketStart(moment) - Int64(event) * 28_800_000 - 3_600_000, value: "0.00080000"))
            }
            for sample in 0..<72 {
                let time = moment - Int64(sample) * 300_000
                samples.append(.init(symbol: "LINKUSDT", series: .longShort, time: time, value: String(format: "%.4f", 2.8 - Double(sample) * 0.01)))
                samples.append(.init(symbol: "LINKUSDT", series: .openInterest, time: time, value: String(1_000_000 - sample * 1_000)))
            }
            // A premium series that stopped a day earlier: stale at the moment.
            samples.append(.init(symbol: "LINKUSDT", series: .premium, time: moment - 86_400_000, value: "0.002"))
            samples.append(.init(symbol: "LINKUSDT", series: .premium, time: moment - 86_400_000, value: "bad"))
            let written = try await store.insert(samples)
            #expect(written.inserted == 15 + 144 + 1 && written.malformed == 1)
            #expect(try await store.insert(samples).inserted == 0, "stored once")

            try await bench.enqueue(Self.job("deriv-1", moment))
            #expect(await waitUntil(timeout: .seconds(60)) { await bench.settled(analyses: 1) })
            let rows = try await bench.pool.query("""
                SELECT votes::text, inputs::text, missing_heads FROM analyses WHERE candle_time = timestamptz 'epoch' + \(moment) * interval '1 millisecond'
                """)
            try #require(rows.count == 1)
            let votes = try JSONDecoder().decode([Vote].self, from: Data(try rows[0].decode(0, as: String.self).utf8))
            let inputs = try JSONDecoder().decode([String: Int64].self, from: Data(try rows[0].decode(1, as: String.self).utf8))
            let live = try #require(votes.first { $0.head == .sentiment })
            #expect(!(try rows[0].decode(2, as: [String].self)).contains("sentiment"))
            #expect(live.direction == .short, "crowded longs read contrarian: \(live.reasons)")
            #expect(inputs["funding"] == CandleInterval.oneMinute.bucketStart(moment) - 3_600_000 && inputs["long_short"] == moment)
            #expect(inputs["premium"] == nil, "a stale series is not used")

            // The backtest's reading of the same table at the same close gives the same vote.
            let histories = try await store.histories(symbols: ["LINKUSDT"], from: 0, to: close)
            let derivatives = try #require(histories["LINKUSDT"]?.at(close))
            #expect(derivatives.premium.isEmpty)
            let expected = SentimentHead().evaluate(AnalysisInput(symbol: "LINKUSDT", market: .futures, candles: [:], derivatives: derivatives))
            #expect(live == expected)

            // A stored candle that closes before its minute ends: its derivatives are read at
            // its own close, as the backtest reads them (the round reads them at the minute's
            // end alongside the candles, then again for this one). Forty long/short samples
            // between its close and the minute's end would leave the minute-end read of 48 only
            // 8 at or before the close, and the head's "over N samples" would differ.
            let early = moment + 5 * 60_000
            _ = try await bench.pool.execute("""
                UPDATE candles SET close_time = open_time + interval '29.999 seconds'
                WHERE market = 'futures' AND symbol = 'LINKUSDT' AND interval = '1m' AND open_time = timestamptz 'epoch' + \(early) * interval '1 millisecond'
                """)
            let afterClose = (0..<40).map { DerivativesStore.Sample(symbol: "LINKUSDT", series: .longShort, time: early + 30_000 + Int64($0) * 500, value: "2.9000") }
            #expect(try await store.insert(afterClose).inserted == 40)
            try await bench.enqueue(Self.job("deriv-2", early))
            #expect(await waitUntil(timeout: .seconds(60)) { await bench.settled(analyses: 2) })
            let earlyRow = try #require(try await bench.pool.query("""
                SELECT votes::text, inputs::text FROM analyses WHERE candle_time = timestamptz 'epoch' + \(early) * interval '1 millisecond'
                """).first)
            let earlyInputs = try JSONDecoder().decode([String: Int64].self, from: Data(try earlyRow.decode(1, as: String.self).utf8))
            #expect(earlyInputs["long_short"] == moment, "the sample after the candle's close is not used")
            let earlyVotes = try JSONDecoder().decode([Vote].self, from: Data(try earlyRow.decode(0, as: String.self).utf8))
            let earlyClose = early + 29_999
            let earlyDerivatives = try #require(try await store.histories(symbols: ["LINKUSDT"], from: 0, to: earlyClose)["LINKUSDT"]?.at(earlyClose))
            #expect(earlyDerivatives.longShortRatio.count == 48)
            #expect(earlyVotes.first { $0.head == .sentiment } == SentimentHead().evaluate(
                AnalysisInput(symbol: "LINKUSDT", market: .futures, candles: [:], derivatives: earlyDerivatives)))

            // The heartbeat: the group has nothing waiting or unacknowledged; the job rate is sampled per beat.
            let first = Dictionary(await bench.service.stats(), uniquingKeysWith: { a, _ in a })
            #expect(first["group_lag"] == "0" && first["group_pending"] == "0" && first["analysed"] == "2")
            let second = Dictionary(await bench.service.stats(), uniquingKeysWith: { a, _ in a })
            #expect(second["jobs_per_second"].flatMap(Double.init) == 0, "no job committed between the two beats")
        }
    }

    /// The warm cache gives exactly what a whole read gives: topped up with the new candles on a
    /// hit, read again when a candle inside the cached range changed.
    @Test func cachedWindowsEqualWholeReadsAndNoticeChangedCandles() async throws {
        try await Self.with(#function) { bench in
            let store = AnalysisStore(postgres: bench.pool)
            let cache = CandleCache(maxBytes: 64 << 20)
            let start: Int64 = 1_769_904_000_000 + 20 * 86_400_000
            func wants(_ moment: Int64) -> [AnalysisStore.Want] {
                [AnalysisStore.Want(interval: .oneMinute, before: moment + 60_000, count: 500)]
                    + [CandleInterval.fiveMinutes, .oneHour, .fourHours].map {
                        AnalysisStore.Want(interval: $0, before: $0.bucketStart(moment + 60_000), count: 300)
                    }
            }
            func same(_ moment: Int64) async throws -> Bool {
                let cached = try await store.windows(market: .futures, symbol: "LINKUSDT", wants: wants(moment), cache: cache)
                let whole = try await store.windows(market: .futures, symbol: "LINKUSDT", wants: wants(moment), cache: nil)
                return cached == whole && cached[.oneMinute]?.count == 500 && cached[.oneMinute]?.last?.openTime == moment
            }
            #expect(try await same(start))
            #expect(cache.counts == .init(hits: 0, misses: 1, reloads: 0, evictions: 0))
            #expect(try await same(start + 7 * 60_000) && cache.counts.hits == 1, "topped up")
            #expect(try await same(start + 3 * 3_600_000) && cache.counts.hits == 2, "a later hour: new 1h candles appended")
            // A candle inside the cached range changes (a correction): that interval is read again.
            _ = try await bench.pool.execute("""
                UPDATE candles SET close = close + 0.001, high = greatest(high, close + 0.001), updated_at = now()
                WHERE market = 'futures' AND symbol = 'LINKUSDT' AND interval = '1m'
                  AND open_time = timestamptz 'epoch' + \(start + 3 * 3_600_000 - 100 * 60_000) * interval '1 millisecond'
                """)
            #expect(try await same(start + 3 * 3_600_000 + 60_000) && cache.counts.reloads == 1)
            // 450 minutes on, the corrected candle (the newest updated_at) leaves the 500-minute
            // window; at the next job what is cached still matches the stored range: a hit, not a
            // reload.
            #expect(try await same(start + 3 * 3_600_000 + 451 * 60_000) && cache.counts.hits == 3)
            #expect(try await same(start + 3 * 3_600_000 + 452 * 60_000) && cache.counts.hits == 4 && cache.counts.reloads == 1)
            #expect(cache.symbols == 1 && cache.bytes > 0)
        }
    }

    /// A round reads the windows of all its symbols in one statement: each symbol's windows
    /// equal its own whole read, a symbol with no candles gets empty ones, and a corrected candle
    /// of one symbol reloads that symbol alone.
    @Test func batchedWindowsEqualEachSymbolsOwnRead() async throws {
        try await Self.with(#function) { bench in
            _ = try await ArchiveImporter(store: CandleStore(postgres: bench.pool)).importFile(Fixtures.futuresArchive("DOTUSDT"), market: .futures)
            let store = AnalysisStore(postgres: bench.pool)
            let cache = CandleCache(maxBytes: 64 << 20)
            let start: Int64 = 1_769_904_000_000 + 20 * 86_400_000
            func request(_ symbol: String, _ moment: Int64) -> AnalysisStore.WindowRequest {
                AnalysisStore.WindowRequest(
                    market: .futures, symbol: symbol,
                    wants: [AnalysisStore.Want(interval: .oneMinute, before: moment + 60_000, count: 500)]
                        + [CandleInterval.fiveMinutes, .fourHours].map { AnalysisStore.Want(interval: $0, before: $0.bucketStart(moment + 60_000), count: 300) })
            }
            func same(_ symbols: [String], _ moment: Int64) async throws -> Bool {
                let batch = try await store.windows(symbols.map { request($0, moment) }, cache: cache)
                var whole: [[CandleInterval: [Candle]]] = []
                for symbol in symbols { whole.append(try await store.windows([request(symbol, moment)], cache: nil)[0]) }
                return batch == whole
            }
            #expect(try await same(["LINKUSDT", "DOTUSDT", "NOPEUSDT"], start))
            #expect(cache.counts == .init(hits: 0, misses: 3, reloads: 0, evictions: 0))
            let dot = try await store.windows([request("DOTUSDT", start)], cache: nil)[0]
            #expect(dot[.oneMinute]?.count == 500 && dot[.oneMinute]?.last?.openTime == start && dot[.oneMinute]?.allSatisfy { $0.symbol == "DOTUSDT" } == true)
            #expect(dot[.fourHours]?.count == 120, "20 days of 4h candles before the moment")
            let none = try await store.windows([request("NOPEUSDT", start)], cache: nil)[0]
            #expect(none.values.allSatisfy { $0.isEmpty } && none.count == 3)

            _ = try await bench.pool.execute("""
                UPDATE candles SET close = close + 0.001, high = greatest(high, close + 0.001), updated_at = now()
                WHERE market = 'futures' AND symbol = 'DOTUSDT' AND interval = '1m'
                  AND open_time = timestamptz 'epoch' + \(start - 100 * 60_000) * interval '1 millisecond'
                """)
            #expect(try await same(["LINKUSDT", "DOTUSDT"], start + 7 * 60_000))
            #expect(cache.counts == .init(hits: 1, misses: 3, reloads: 1, evictions: 0), "only DOTUSDT read whole again")

            // Uncached symbols read in parts, concurrently, beside the cached ones' top-ups:
            // eighteen copies of DOTUSDT's last two days, each with its prices scaled, so a
            // window put in another symbol's place would show.
            _ = try await bench.pool.execute("""
                INSERT INTO candles (market, symbol, interval, open_time, close_time, open, high, low, close, volume, quote_volume, trades,
                                     taker_buy_volume, taker_buy_quote_volume, source)
                SELECT market, 'DOT' || n || 'USDT', interval, open_time, close_time, open * n, high * n, low * n, close * n, volume,
                       quote_volume, trades, taker_buy_volume, taker_buy_quote_volume, 'import'
                FROM candles, generate_series(2, 19) AS n
                WHERE market = 'futures' AND symbol = 'DOTUSDT' AND open_time > timestamptz 'epoch' + \(start - 2 * 86_400_000) * interval '1 millisecond'
                """)
            let copies = (2...19).map { "DOT\($0)USDT" }
            let later = start + 11 * 60_000
            let symbols = ["LINKUSDT"] + copies.prefix(9) + ["DOTUSDT"] + copies.dropFirst(9)
            let parted = try await store.windows(symbols.map { request($0, later) }, cache: cache, concurrency: 3)
            var oneByOne: [[CandleInterval: [Candle]]] = []
            for symbol in symbols { oneByOne.append(try await store.windows([request(symbol, later)], cache: nil)[0]) }
            #expect(parted == oneByOne)
            // DOT6USDT, fifth of the copies: DOTUSDT's prices times six.
            let dotClose = try #require(parted[10][.oneMinute]?.last?.close)
            #expect(parted[5][.oneMinute].map { $0.count == 500 && abs($0[499].close / dotClose - 6) < 1e-9 } == true)
            #expect(cache.counts == .init(hits: 3, misses: 21, reloads: 1, evictions: 0), "LINKUSDT and DOTUSDT topped up, the copies read whole")
        }
    }

    /// A batch of one symbol's jobs is worked off in rounds of one job, each round preparing
    /// while the one before commits: the signals still equal the backtest's at the same moments
    /// (each decision sees the signal the round before opened or resolved) over 36 hours. No job
    /// is committed twice: the loop waits for the round being committed before it reads its own
    /// pending entries again (without that wait, this test counted coalesced jobs).
    @Test func pipelinedRoundsDecideAsTheBacktest() async throws {
        let backtest = try Self.backtest()
        let first = try #require(backtest.results.first)
        let opened = first.signal.createdAt - 59_999
        let moments = Array(stride(from: opened - 60 * 60_000, through: opened + 36 * 3_600_000, by: 5 * 60_000))
        let expected = (backtest.results.map(\.signal) + backtest.openSignals)
            .filter { moments.contains($0.createdAt - 59_999) }
            .map { "\($0.createdAt - 59_999) \($0.direction.rawValue)" }.sorted()
        try #require(!expected.isEmpty)

        try await Self.with(#function) { bench in
            _ = try await bench.redis.pipeline(commands: moments.enumerated().map { index, moment in
                RedisArgument.xadd(bench.keys.jobs, maxLength: 100_000, fields: Self.job("step-\(index)", moment).fields)
            })
            #expect(await waitUntil(timeout: .seconds(120)) { await bench.settled(analyses: moments.count) })
            let stored = try await bench.pool.query("""
                SELECT (extract(epoch FROM candle_time) * 1000)::bigint, direction FROM signals ORDER BY candle_time
                """).map { row in "\(try row.decode(0, as: Int64.self)) \(try row.decode(1, as: String.self))" }
            #expect(stored == expected)
            let resolved = try await bench.pool.query("SELECT status FROM signals WHERE candle_time = timestamptz 'epoch' + \(opened) * interval '1 millisecond'")
            if first.outcome.resolvedAt <= moments.last! + 59_999 {
                #expect(try resolved.first?.decode(0, as: String.self) == first.outcome.status.rawValue)
            }
            #expect(bench.service.counters.analysed == moments.count && bench.service.counters.coalesced == 0)
        }
    }
}
