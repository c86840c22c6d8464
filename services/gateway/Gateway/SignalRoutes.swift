import Analysis
import CandleStore
import Contracts
import Core
import Foundation
import Hummingbird
import Postgres

/// Signals, analyses and on-demand analysis: `GET /api/v1/signals` (filtered, paged),
/// `/api/v1/signals/id/{id}`, `/api/v1/analyses/{market}/{symbol}` (the latest analysis) and
/// `/api/v1/signals/{symbol}` (analyse now: an on-demand job through inference).
struct SignalRoutes: Sendable {
    let postgres: PostgresPool
    let listener: ReplyListener
    let settings: GatewaySettings

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/v1/signals") { request, _ in try await list(request) }
        router.get("api/v1/signals/id/:id") { _, context in try await signal(context) }
        router.get("api/v1/signals/:symbol") { request, context in try await analyseNow(request, context) }
        router.get("api/v1/analyses/:market/:symbol") { _, context in try await latestAnalysis(context) }
    }

    // MARK: - Views

    /// A signal as stored: prices exact, times Unix ms, the outcome once resolved.
    struct SignalView: Encodable {
        var id: Int64
        var market: String
        var symbol: String
        var direction: String
        /// Open time of the 1m candle the signal was made at.
        var moment: Int64
        var createdAt: Int64
        var expiresAt: Int64
        var entry: String
        var stop: String
        var targets: [String]
        var probability: Double
        var confidence: Double
        var agreeingHeads: [String]
        var status: String
        @OrNull var resolvedAt: Int64?
        @OrNull var exitPrice: String?
        @OrNull var outcomeR: Double?
        @OrNull var analysisId: Int64?

        static let columns = """
            s.id, s.market, s.symbol, s.direction, (extract(epoch FROM s.candle_time) * 1000)::bigint,
            (extract(epoch FROM s.created_at) * 1000)::bigint, (extract(epoch FROM s.expires_at) * 1000)::bigint,
            s.entry::text, s.stop::text, s.targets::text[], s.probability, s.confidence, s.agreeing_heads, s.status,
            (extract(epoch FROM s.resolved_at) * 1000)::bigint, s.exit_price::text, s.outcome_r, s.analysis_id
            """

        init(row: PostgresRow, from index: Int = 0) throws {
            id = try row.decode(index)
            market = try row.decode(index + 1)
            symbol = try row.decode(index + 2)
            direction = try row.decode(index + 3)
            moment = try row.decode(index + 4)
            createdAt = try row.decode(index + 5)
            expiresAt = try row.decode(index + 6)
            entry = try row.decode(index + 7)
            stop = try row.decode(index + 8)
            targets = try row.decode(index + 9)
            probability = try row.decode(index + 10)
            confidence = try row.decode(index + 11)
            agreeingHeads = try row.decode(index + 12)
            status = try row.decode(index + 13)
            resolvedAt = try row.decode(index + 14, as: Int64?.self)
            exitPrice = try row.decode(index + 15, as: String?.self)
            outcomeR = try row.decode(index + 16, as: Double?.self)
            analysisId = try row.decode(index + 17, as: Int64?.self)
        }
    }

    struct VoteView: Encodable {
        var head: String
        var direction: String
        var probability: Double
        var confidence: Double
        var reasons: [String]
    }

    /// One analysis: the nine votes with reasons, the consensus, what it was made from and the
    /// signal it opened, if any.
    struct AnalysisView: Encodable {
        var id: Int64
        var market: String
        var symbol: String
        /// Open time of the newest 1m candle analysed.
        var moment: Int64
        var analyzedAt: Int64
        /// The consensus: long, short or neutral.
        var direction: String
        var summary: String
        var longCount: Int
        var shortCount: Int
        var probability: Double
        var confidence: Double
        var agreeingHeads: [String]
        var votes: [VoteView]
        /// Heads that abstained for want of data.
        var missingHeads: [String]
        /// Newest candle open time used per interval, and counts: the inputs' identity.
        var inputs: [String: Int64]
        @OrNull var jobId: String?
        @OrNull var reason: String?
        @OrNull var queueWaitMs: Double?
        @OrNull var computeMs: Double?
        @OrNull var signal: SignalView?
    }

    /// The analysis of (market, symbol) at `moment`, or the newest one when `moment` is nil.
    func analysis(market: Market, symbol: String, moment: Int64?) async throws -> AnalysisView? {
        let rows = try await postgres.query("""
            SELECT a.id, a.market, a.symbol, (extract(epoch FROM a.candle_time) * 1000)::bigint,
                   (extract(epoch FROM a.analyzed_at) * 1000)::bigint, (a.consensus || jsonb_build_object('votes', a.votes))::text, a.missing_heads, a.inputs::text,
                   a.job_id, a.reason, a.queue_wait_ms, a.compute_ms, \(unsafeSQL: SignalView.columns)
            FROM analyses a LEFT JOIN signals s ON s.id = a.signal_id
            WHERE a.market = \(market.rawValue) AND a.symbol = \(symbol) AND a.interval = '1m'
              AND (\(moment)::bigint IS NULL OR a.candle_time = timestamptz 'epoch' + \(moment)::bigint * interval '1 millisecond')
            ORDER BY a.candle_time DESC
            LIMIT 1
            """)
        guard let row = rows.first else { return nil }
        let decoder = JSONDecoder()
        let consensus = try decoder.decode(Consensus.self, from: Data(try row.decode(5, as: String.self).utf8))
        let inputs = (try? decoder.decode([String: Int64].self, from: Data(try row.decode(7, as: String.self).utf8))) ?? [:]
        let signalID = try row.decode(12, as: Int64?.self)
        return AnalysisView(
            id: try row.decode(0), market: try row.decode(1), symbol: try row.decode(2), moment: try row.decode(3),
            analyzedAt: try row.decode(4), direction: consensus.direction.rawValue, summary: consensus.summary,
            longCount: consensus.longCount, shortCount: consensus.shortCount, probability: consensus.probability,
            confidence: consensus.confidence, agreeingHeads: consensus.agreeing.map(\.rawValue),
            votes: consensus.votes.map {
                VoteView(head: $0.head.rawValue, direction: $0.direction.rawValue, probability: $0.probability, confidence: $0.confidence, reasons: $0.reasons)
            },
            missingHeads: try row.decode(6), inputs: inputs, jobId: try row.decode(8, as: String?.self), reason: try row.decode(9, as: String?.self),
            queueWaitMs: try row.decode(10, as: Double?.self), computeMs: try row.decode(11, as: Double?.self),
            signal: signalID == nil ? nil : try SignalView(row: row, from: 12))
    }

    // MARK: - Signals

    struct SignalPage: Encodable {
        var signals: [SignalView]
        /// Pass as `before` for the next (older) page; null on the last page.
        @OrNull var nextBefore: Int64?
    }

    static let statuses = ["open", "won", "lost", "expired"]

    /// Signals newest first, filtered by `status`, `symbol`, `market`, `direction` and the
    /// time made (`from` ≤ moment < `to`), `limit` (default 50, at most 500) per page; `before`
    /// (a signal id) continues from a page's `next_before`.
    func list(_ request: Request) async throws -> Response {
        let parameters = try Parameters(request)
        let limit = try parameters.integer("limit", default: 50, in: 1...500)
        let before = Int64(try parameters.integer("before", default: Int.max, in: 1...Int.max))
        let from = Int64(try parameters.integer("from", default: 0, in: 0...Parameters.maxMillis))
        let to = Int64(try parameters.integer("to", default: Parameters.maxMillis, in: 0...Parameters.maxMillis))
        let market = try parameters.market("market")
        let symbol = try parameters.string("symbol").map(Parameters.symbol)
        let status = parameters.string("status")
        if let status, !Self.statuses.contains(status) {
            throw Problem.badParameter("status", "status must be one of \(Self.statuses.joined(separator: ", "))")
        }
        let direction = parameters.string("direction")
        if let direction, !["long", "short"].contains(direction) {
            throw Problem.badParameter("direction", "direction must be long or short")
        }
        let rows = try await postgres.query("""
            SELECT \(unsafeSQL: SignalView.columns) FROM signals s
            WHERE s.id < \(before)
              AND s.candle_time >= timestamptz 'epoch' + \(from) * interval '1 millisecond'
              AND s.candle_time < timestamptz 'epoch' + \(to) * interval '1 millisecond'
              AND (\(market?.rawValue)::text IS NULL OR s.market = \(market?.rawValue))
              AND (\(symbol)::text IS NULL OR s.symbol = \(symbol))
              AND (\(status)::text IS NULL OR s.status = \(status))
              AND (\(direction)::text IS NULL OR s.direction = \(direction))
            ORDER BY s.id DESC
            LIMIT \(Int64(limit + 1))
            """)
        let signals = try rows.prefix(limit).map { try SignalView(row: $0) }
        return try JSONResponse.make(SignalPage(signals: signals, nextBefore: rows.count > limit ? signals.last?.id : nil))
    }

    func signal(_ context: BasicRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw Problem.badParameter("id", "id must be a positive integer")
        }
        let rows = try await postgres.query("SELECT \(unsafeSQL: SignalView.columns) FROM signals s WHERE s.id = \(id)")
        guard let row = rows.first else { throw Problem.notFound("no signal \(id)") }
        return try JSONResponse.make(try SignalView(row: row))
    }

    // MARK: - Analyses

    func latestAnalysis(_ context: BasicRequestContext) async throws -> Response {
        let market = try Parameters.market(path: context.parameters.get("market"))
        let symbol = try Parameters.symbol(context.parameters.get("symbol") ?? "")
        guard let view = try await analysis(market: market, symbol: symbol, moment: nil) else {
            throw Problem.notFound("no analysis of \(market.rawValue) \(symbol) is stored")
        }
        return try JSONResponse.make(view)
    }

    // MARK: - On demand

    /// Analyses a tracked symbol at its newest committed 1m candle: enqueues an on-demand job
    /// and waits for inference's reply. A moment already analysed gets the stored analysis.
    /// `?market=` picks the market of a symbol tracked in both (futures otherwise).
    func analyseNow(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let parameters = try Parameters(request)
        let symbol = try Parameters.symbol(context.parameters.get("symbol") ?? "")
        let wanted = try parameters.market("market")
        let markets = try await postgres.query("""
            SELECT market FROM tracked_symbols
            WHERE symbol = \(symbol) AND is_active AND (\(wanted?.rawValue)::text IS NULL OR market = \(wanted?.rawValue))
            """).compactMap { Market(rawValue: try $0.decode(0, as: String.self)) }
        guard let market = markets.contains(.futures) ? Market.futures : markets.first else {
            throw Problem.notFound("\(symbol) is not a tracked \(wanted.map { $0.rawValue + " " } ?? "")symbol")
        }
        guard let moment = try await CandleStore(postgres: postgres).lastOpenTime(market: market, symbol: symbol, interval: .oneMinute) else {
            throw Problem.notFound("no committed 1m candle of \(market.rawValue) \(symbol) yet")
        }
        let job = AnalysisJob(
            id: "now-" + Self.randomHex(12), market: market, symbol: symbol, moment: moment, reason: "on_demand",
            enqueuedAt: Int64(Date().timeIntervalSince1970 * 1000))
        let reply: OnDemandReply
        do {
            reply = try await listener.request(job, timeout: settings.onDemandTimeout, streamBound: settings.jobsMaxLength)
        } catch ReplyListener.Failure.busy {
            throw Problem(.serviceUnavailable, "too many on-demand analyses are waiting; try again shortly", headers: ["Retry-After": "1"])
        } catch ReplyListener.Failure.timeout {
            throw Problem(.gatewayTimeout, "no analysis of \(market.rawValue) \(symbol) within \(settings.onDemandTimeout); inference may be down or behind")
        }
        switch reply {
        case .failure(let failure) where failure.error == "unknown_symbol":
            throw Problem.notFound("inference has no candles of \(market.rawValue) \(symbol): \(failure.detail)")
        case .failure(let failure):
            throw Problem(.badGateway, "inference could not analyse \(market.rawValue) \(symbol): \(failure.error): \(failure.detail)")
        case .analysis:
            guard let view = try await analysis(market: market, symbol: symbol, moment: moment) else {
                throw Problem(.badGateway, "inference answered, but the analysis of \(market.rawValue) \(symbol) at \(moment) is not stored")
            }
            return try JSONResponse.make(view)
        }
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// An optional that encodes as `null` rather than being left out, so every documented key is
/// always present.
@propertyWrapper
struct OrNull<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension OrNull: Sendable where Value: Sendable {}
