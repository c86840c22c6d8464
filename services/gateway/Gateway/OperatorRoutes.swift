import Contracts
import Foundation
import Hummingbird
import Postgres
import Redis

/// What operators use: `GET /api/v1/alerts`, `POST /api/v1/alerts/{id}/ack` (admin),
/// `GET /api/v1/metrics/history` (what the monitor recorded) and
/// `POST /api/v1/symbols/refresh` (admin).
struct OperatorRoutes: Sendable {
    let postgres: PostgresPool
    let redis: RedisClient
    let keys: RedisKeys

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/v1/alerts") { request, _ in try await list(request) }
        router.post("api/v1/alerts/:id/ack") { _, context in try await acknowledge(context) }
        router.get("api/v1/metrics/history") { request, _ in try await history(request) }
        router.post("api/v1/symbols/refresh") { _, _ in try await requestRefresh() }
    }

    struct RefreshRequest: Encodable {
        var requested: Bool
        /// Redis's clock, Unix ms.
        var requestedAt: Int64
    }

    /// Asks the symbols service's leader for a refresh now (`symbols:refresh`, which it takes
    /// with GETDEL on its next tick); 202: the refresh itself happens there, and
    /// `GET /api/v1/symbols/history` shows what it changed.
    func requestRefresh() async throws -> Response {
        let now = try await redis.time()
        // Expires, so a request no symbols service ever takes does not fire days later.
        _ = try await redis.set(keys.symbolsRefresh, to: String(now), expiry: .seconds(3600))
        return try JSONResponse.make(RefreshRequest(requested: true, requestedAt: now), status: .accepted)
    }

    struct AlertPage: Encodable {
        var alerts: [AlertRecord]
        @OrNull var nextBefore: Int64?
    }

    static let states = ["firing", "resolved"]

    /// Alerts newest first; `state` (firing, resolved) filters, `limit` (default 50, at most
    /// 500) per page, `before` (an alert id) continues from a page's `next_before`.
    func list(_ request: Request) async throws -> Response {
        let parameters = try Parameters(request)
        let limit = try parameters.integer("limit", default: 50, in: 1...500)
        let before = Int64(try parameters.integer("before", default: Int.max, in: 1...Int.max))
        let state = parameters.string("state")
        if let state, !Self.states.contains(state) {
            throw Problem.badParameter("state", "state must be firing or resolved")
        }
        let rows = try await postgres.query("""
            SELECT \(unsafeSQL: AlertRecord.columns) FROM alerts
            WHERE id < \(before) AND source = 'monitor'
              AND (\(state)::text IS NULL OR (resolved_at IS NULL) = (\(state)::text = 'firing'))
            ORDER BY id DESC
            LIMIT \(Int64(limit + 1))
            """)
        let alerts = try rows.prefix(limit).map { try AlertRecord(row: $0) }
        return try JSONResponse.make(AlertPage(alerts: alerts, nextBefore: rows.count > limit ? alerts.last?.id : nil))
    }

    /// Marks an alert acknowledged (once; acknowledging again keeps the first time).
    func acknowledge(_ context: BasicRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw Problem.badParameter("id", "id must be a positive integer")
        }
        let rows = try await postgres.query("""
            UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, now())
            WHERE id = \(id) AND source = 'monitor'
            RETURNING \(unsafeSQL: AlertRecord.columns)
            """)
        guard let row = rows.first else { throw Problem.notFound("no alert \(id)") }
        return try JSONResponse.make(try AlertRecord(row: row))
    }

    /// The monitor's samples, oldest first: the newest `limit` (default 100, at most 1,000).
    func history(_ request: Request) async throws -> Response {
        let limit = try Parameters(request).integer("limit", default: 100, in: 1...1000)
        let points = try await redis.lrange(keys.metricsHistory, start: -limit, stop: -1)
        // Each point is a sample the monitor encoded; one that is not a JSON object is skipped.
        let valid = points.filter { point in
            (try? JSONSerialization.jsonObject(with: Data(point.utf8))) is [String: Any]
        }
        return JSONResponse.make(json: "{\"points\":[" + valid.joined(separator: ",") + "]}")
    }
}
