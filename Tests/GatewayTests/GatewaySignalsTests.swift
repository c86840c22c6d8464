import Analysis
import CandleStore
import Contracts
import Core
import Foundation
@testable import Gateway
import Inference
import Logging
import Postgres
import Redis
import Testing
import TestSupport

/// Signals, analyses and on-demand analysis through the gateway, over real PostgreSQL and
/// Redis; on demand with a real inference service.
@Suite struct GatewaySignalsTests {
    /// Stores an analysis at `moment` (and its signal when `direction` is given) as inference does.
    static func store(
        _ pool: PostgresPool, market: Market = .futures, symbol: String, moment: Int64, direction: Direction?, status: String = "open",
        id: Int64
    ) async throws {
        let votes = HeadKind.allCases.map { head in
            Vote(head: head, direction: direction ?? .neutral, probability: 0.7, confidence: 0.6, reasons: ["\(head.rawValue) says so"])
        }
        let consensus = Consensus(
            direction: direction ?? .neutral, agreeing: direction == nil ? [] : HeadKind.allCases, longCount: direction == .long ? 9 : 0,
            shortCount: direction == .short ? 9 : 0, probability: direction == nil ? 0 : 0.7, confidence: direction == nil ? 0 : 0.6,
            votes: votes, summary: "summary of \(id)")
        let json = String(decoding: try JSONEncoder().encode(consensus), as: UTF8.self)
        let votesJSON = String(decoding: try JSONEncoder().encode(votes), as: UTF8.self)
        let inputs = "{\"1m\": \(moment), \"1m_count\": 1000}"
        _ = try await pool.query("SELECT ap_analyses_partition(timestamptz 'epoch' + \(moment) * interval '1 millisecond')")
        if let direction {
            _ = try await pool.execute("""
                INSERT INTO signals (id, market, symbol, direction, candle_time, expires_at, entry, stop, targets, probability, confidence,
                                     agreeing_heads, votes, analysis_id, status, resolved_at, exit_price, outcome_r)
                OVERRIDING SYSTEM VALUE
                VALUES (\(id), \(market.rawValue), \(symbol), \(direction.rawValue), timestamptz 'epoch' + \(moment) * interval '1 millisecond',
                        timestamptz 'epoch' + \(moment + 86_400_000) * interval '1 millisecond', 100.125, 98.5, '{102.5,105}', 0.7, 0.6,
                        '{technical,volume}', \(votesJSON)::jsonb, \(id),
                        \(status), CASE WHEN \(status) = 'open' THEN NULL ELSE timestamptz 'epoch' + \(moment + 3_600_000) * interval '1 millisecond' END,
                        CASE WHEN \(status) = 'open' THEN NULL ELSE 102.5 END, CASE WHEN \(status) = 'open' THEN NULL ELSE 1.5 END)
                """)
        }
        _ = try await pool.execute("""
            INSERT INTO analyses (id, market, symbol, candle_time, votes, consensus, direction, job_id, reason, inputs, missing_heads,
                                  queue_wait_ms, compute_ms, signal_id)
            VALUES (\(id), \(market.rawValue), \(symbol), timestamptz 'epoch' + \(moment) * interval '1 millisecond', \(votesJSON)::jsonb,
                    \(json)::jsonb, \(direction?.rawValue), \("job-\(id)"), 'schedule', \(inputs)::jsonb,
                    '{sentiment}', 12.5, 30.25, \(direction == nil ? nil : id))
            """)
    }

    @Test func signalsAreListedFilteredPagedAndFetchedById() async throws {
        try await GatewayHarness.with("gw_signals") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let day: Int64 = 1_767_225_600_000  // 2026-01-01
            try await Self.store(gateway.stores.pool, symbol: "BTCUSDT", moment: day, direction: .long, status: "won", id: 1)
            try await Self.store(gateway.stores.pool, symbol: "ETHUSDT", moment: day + 60_000, direction: .short, status: "lost", id: 2)
            try await Self.store(gateway.stores.pool, market: .spot, symbol: "BTCUSDT", moment: day + 120_000, direction: .long, id: 3)
            try await Self.store(gateway.stores.pool, symbol: "BTCUSDT", moment: day + 86_400_000, direction: .long, id: 4)

            let all = try await gateway.get("/api/v1/signals", key: key)
            #expect(all.status == 200)
            let signals = try #require(all.object["signals"] as? [[String: Any]])
            #expect(signals.compactMap { $0["id"] as? Int } == [4, 3, 2, 1], "newest first")
            #expect(all.object.keys.contains("next_before") && all.object["next_before"] is NSNull)
            let won = try #require(signals.last)
            #expect(won["entry"] as? String == "100.125" && won["stop"] as? String == "98.5" && won["targets"] as? [String] == ["102.5", "105"])
            #expect(won["status"] as? String == "won" && won["exit_price"] as? String == "102.5" && won["outcome_r"] as? Double == 1.5)
            #expect(won["moment"] as? Int64 == day && won["resolved_at"] as? Int64 == day + 3_600_000 && won["analysis_id"] as? Int == 1)
            let open = try #require(signals.first)
            #expect(open["resolved_at"] is NSNull && open["exit_price"] is NSNull, "unresolved fields are null, not absent")

            func ids(_ query: String) async throws -> [Int] {
                let answer = try await gateway.get("/api/v1/signals?" + query, key: key)
                #expect(answer.status == 200, "\(query)")
                return (answer.object["signals"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            }
            #expect(try await ids("status=open") == [4, 3])
            #expect(try await ids("symbol=BTCUSDT&market=futures") == [4, 1])
            #expect(try await ids("direction=short") == [2])
            #expect(try await ids("from=\(day + 60_000)&to=\(day + 86_400_000)") == [3, 2])
            #expect(try await ids("from=\(day + 60_000)&to=\(day)").isEmpty, "an empty range is an empty page, not an error")

            // Cursor pages of two.
            let first = try await gateway.get("/api/v1/signals?limit=2", key: key).object
            #expect((first["signals"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [4, 3])
            let cursor = try #require(first["next_before"] as? Int)
            let second = try await gateway.get("/api/v1/signals?limit=2&before=\(cursor)", key: key).object
            #expect((second["signals"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [2, 1])
            #expect(second["next_before"] is NSNull)

            // One by id.
            let one = try await gateway.get("/api/v1/signals/id/2", key: key)
            #expect(one.status == 200 && one.object["symbol"] as? String == "ETHUSDT" && one.object["direction"] as? String == "short")
            #expect(try await gateway.get("/api/v1/signals/id/99", key: key).status == 404)

            // Bad parameters name themselves.
            for (query, parameter) in [("status=pending", "status"), ("direction=up", "direction"), ("limit=0", "limit"), ("limit=501", "limit"),
                                       ("market=margin", "market"), ("symbol=btc", "symbol"), ("from=-1", "from"), ("before=x", "before")] {
                let answer = try await gateway.get("/api/v1/signals?" + query, key: key)
                #expect(answer.status == 400 && answer.problem.parameter == parameter, "\(query)")
            }
            let badID = try await gateway.get("/api/v1/signals/id/abc", key: key)
            #expect(badID.status == 400 && badID.problem.parameter == "id")
        }
    }

    @Test func theLatestAnalysisCarriesVotesReasonsAndItsSignal() async throws {
        try await GatewayHarness.with("gw_analyses") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let day: Int64 = 1_767_225_600_000
            try await Self.store(gateway.stores.pool, symbol: "BTCUSDT", moment: day, direction: .long, id: 10)
            try await Self.store(gateway.stores.pool, symbol: "BTCUSDT", moment: day + 60_000, direction: nil, id: 11)

            let latest = try await gateway.get("/api/v1/analyses/futures/BTCUSDT", key: key)
            #expect(latest.status == 200)
            let body = latest.object
            #expect(body["id"] as? Int == 11 && body["moment"] as? Int64 == day + 60_000 && body["direction"] as? String == "neutral")
            #expect(body["signal"] is NSNull && body["summary"] as? String == "summary of 11")
            let votes = try #require(body["votes"] as? [[String: Any]])
            #expect(votes.count == 9 && votes.allSatisfy { ($0["reasons"] as? [String])?.count == 1 })
            #expect(Set(votes.compactMap { $0["head"] as? String }) == Set(HeadKind.allCases.map(\.rawValue)))
            #expect(body["missing_heads"] as? [String] == ["sentiment"] && (body["inputs"] as? [String: Any])?["1m_count"] as? Int == 1000)
            #expect(body["job_id"] as? String == "job-11" && body["queue_wait_ms"] as? Double == 12.5 && body["compute_ms"] as? Double == 30.25)

            // The one before it opened a signal: the analysis of that moment embeds it.
            _ = try await gateway.stores.pool.execute("DELETE FROM analyses WHERE id = 11")
            let withSignal = try await gateway.get("/api/v1/analyses/futures/BTCUSDT", key: key).object
            let signal = try #require(withSignal["signal"] as? [String: Any])
            #expect(withSignal["direction"] as? String == "long" && withSignal["agreeing_heads"] as? [String] == HeadKind.allCases.map(\.rawValue))
            #expect(signal["id"] as? Int == 10 && signal["status"] as? String == "open")

            #expect(try await gateway.get("/api/v1/analyses/futures/ETHUSDT", key: key).status == 404)
            let bad = try await gateway.get("/api/v1/analyses/margin/BTCUSDT", key: key)
            #expect(bad.status == 400 && bad.problem.parameter == "market")
        }
    }

    /// On demand: the gateway enqueues a job, a real inference service analyses it, the one
    /// shared listener hands the reply to the request. The same moment asked again gets the
    /// stored analysis; an untracked symbol is a 404.
    @Test func analysisOnDemandGoesThroughInference() async throws {
        try await GatewayHarness.with("gw_on_demand") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let pool = gateway.stores.pool
            _ = try await ArchiveImporter(store: CandleStore(postgres: pool)).importFile(Fixtures.futuresArchive("LINKUSDT"), market: .futures)
            _ = try await pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct)
                VALUES ('futures', 'LINKUSDT', 'LINK', 1, 1, 1, 0), ('spot', 'LINKUSDT', 'LINK', 1, 1, 1, 0)
                """)
            let newest = try #require(try await CandleStore(postgres: pool).lastOpenTime(market: .futures, symbol: "LINKUSDT", interval: .oneMinute))

            let inference = Self.inference(gateway.stores)
            let task = Task { try await inference.run() }
            defer { task.cancel() }

            let answer = try await gateway.get("/api/v1/signals/LINKUSDT", key: key)
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            let body = answer.object
            #expect(body["market"] as? String == "futures" && body["symbol"] as? String == "LINKUSDT" && body["moment"] as? Int64 == newest)
            #expect((body["votes"] as? [[String: Any]])?.count == 9 && body["reason"] as? String == "on_demand")
            #expect(["long", "short", "neutral"].contains(body["direction"] as? String ?? ""))
            let id = try #require(body["id"] as? Int)

            let again = try await gateway.get("/api/v1/signals/LINKUSDT?market=futures", key: key)
            #expect(again.status == 200 && again.object["id"] as? Int == id, "the moment is analysed once")

            // Tracked in spot but without spot candles: inference says so, and it is a 404.
            let spot = try await gateway.get("/api/v1/signals/LINKUSDT?market=spot", key: key)
            #expect(spot.status == 404 && spot.contentType == "application/problem+json")
            #expect(try await gateway.get("/api/v1/signals/NOSUCHUSDT", key: key).status == 404)
            let bad = try await gateway.get("/api/v1/signals/LINKUSDT?market=margin", key: key)
            #expect(bad.status == 400 && bad.problem.parameter == "market")
            task.cancel()
            _ = try? await task.value
        }
    }

    /// Without inference the request ends at the configured timeout with 504, and its waiter is
    /// gone (a late reply is an orphan, not a leak).
    @Test func onDemandTimesOutWith504WhenInferenceIsAway() async throws {
        try await GatewayHarness.with("gw_on_demand_timeout", settings: ["gateway.on_demand_timeout_seconds": "1"]) { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let pool = gateway.stores.pool
            _ = try await pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct)
                VALUES ('futures', 'LINKUSDT', 'LINK', 1, 1, 1, 0)
                """)
            #expect(try await gateway.get("/api/v1/signals/LINKUSDT", key: key).status == 404, "no candle committed yet")
            _ = try await ArchiveImporter(store: CandleStore(postgres: pool)).importFile(Fixtures.futuresArchive("LINKUSDT"), market: .futures)
            let answer = try await gateway.get("/api/v1/signals/LINKUSDT", key: key)
            #expect(answer.status == 504 && answer.contentType == "application/problem+json")
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            let queued = try await gateway.stores.redis.xrange(keys.jobsNow)
            #expect(queued.count == 1)
            let job = try AnalysisJob(fields: StreamFields(try #require(queued.first).fields))
            #expect(job.reason == "on_demand" && job.replyKey == keys.reply("gateway:gateway-test") && job.symbol == "LINKUSDT")
        }
    }

    static func inference(_ stores: TestStores) -> InferenceService {
        var settings = InferenceService.Settings(
            config: (try? AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: [:])))!, consumer: "gateway-test-inference")
        settings.readBlock = .milliseconds(100)
        var logger = Logger(label: "test.inference")
        logger.logLevel = .error
        return InferenceService(
            settings: settings, store: AnalysisStore(postgres: stores.pool),
            live: LiveAnalysis(analyzer: Analyzer(heads: Heads.all(), rules: ConsensusRules()), signalRules: SignalRules(), stopATR: StopATR()),
            redis: stores.redis, keys: RedisKeys(prefix: stores.prefix), logger: logger, cache: CandleCache(maxBytes: 64 << 20))
    }
}

/// The waiters' state machine: each request resumed exactly once, early replies kept, a bound.
@Suite struct ReplyWaitersTests {
    static func reply(_ id: String) -> OnDemandReply {
        .failure(AnalysisFailure(jobID: id, error: "unknown_symbol", detail: "test"))
    }

    @Test func aReplyBeforeTheWaitIsKeptAndUnknownOnesAreOrphans() async throws {
        var waiters = ReplyWaiters(capacity: 2)
        try waiters.register("a")
        #expect(waiters.deliver(Self.reply("a")).isOrphan == false)
        #expect(waiters.deliver(Self.reply("zzz")).isOrphan == true)
        let got = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<OnDemandReply, any Error>) in
            switch waiters.wait("a", continuation) {
            case .success(let reply): continuation.resume(returning: reply)
            case .failure(let error): continuation.resume(throwing: error)
            case nil: Issue.record("the early reply was lost")
            }
        }
        #expect(got == Self.reply("a") && waiters.count == 0)
        #expect(waiters.deliver(Self.reply("a")).isOrphan, "a second reply for a finished request is an orphan")
    }

    @Test func theBoundRefusesOneMoreAndAFailureBeforeTheWaitIsKept() throws {
        var waiters = ReplyWaiters(capacity: 2)
        try waiters.register("a")
        try waiters.register("b")
        #expect(throws: ReplyWaiters.Full.self) { try waiters.register("c") }
        #expect(waiters.fail("a", ReplyListener.Failure.timeout) == nil, "not waiting yet: the failure is kept for the wait")
        #expect(waiters.deliver(Self.reply("a")).isOrphan, "a reply after the timeout is an orphan")
        waiters.forget("b")
        #expect(waiters.count == 1)
        try waiters.register("c")
    }
}
