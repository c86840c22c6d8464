import Contracts
import Core
import Foundation
import Hummingbird
import Postgres
import Redis

/// The scheduler's and ingest's state as the suite publishes it in Redis:
/// `GET /api/v1/scheduler/status` and `GET /api/v1/websocket/status`. Only Redis and
/// PostgreSQL are read, never another service's port.
struct StatusRoutes: Sendable {
    let postgres: PostgresPool
    let redis: RedisClient
    let keys: RedisKeys
    let health: SuiteHealth

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/v1/scheduler/status") { _, _ in try await scheduler() }
        router.get("api/v1/websocket/status") { _, _ in try await websocket() }
    }

    // MARK: - Scheduler

    struct Lease: Encodable {
        /// Instance id of the leader holding the lease; null when none leads.
        @OrNull var holder: String?
        @OrNull var ttlMs: Int64?
    }

    struct Schedule: Encodable {
        var leader: String
        var mode: String
        var symbols: Int
        var position: String
        var cycle: Int
        var exchangeTime: Int64
        var nextBatch: Int64
        var enqueued: Int
        var coalesced: Int
        var skipped: Int
        var fenced: Int
        var updated: Int64
    }

    struct Queue: Encodable, Sendable {
        /// Entries in the stream (delivered or not; it is trimmed at its bound).
        var length: Int
        /// Delivered to an inference instance, not yet acknowledged.
        var pending: Int
        /// Not yet delivered to the inference group; null when Redis cannot tell.
        @OrNull var lag: Int?
        /// Inference instances reading it.
        var consumers: Int
    }

    struct Queues: Encodable {
        var jobs: Queue
        var jobsNow: Queue
        var deadLetters: Int
    }

    struct SchedulerReport: Encodable {
        var lease: Lease
        /// The leader's `scheduler:status`; null before any scheduler wrote one.
        @OrNull var status: Schedule?
        var queues: Queues
    }

    func scheduler() async throws -> Response {
        let raw = try await redis.hgetall(keys.schedulerStatus)
        let status = raw.isEmpty ? nil : try? SchedulerStatus(fields: StreamFields(raw))
        let holder = try await redis.get(keys.schedulerLease)
        var ttl: Int64?
        if case .expires(let left) = try await redis.pttl(keys.schedulerLease) { ttl = left.milliseconds }
        let report = SchedulerReport(
            // The token is `{instance}-{random}`: show the instance.
            lease: Lease(holder: holder.map { String($0[..<($0.lastIndex(of: "-") ?? $0.endIndex)]) }, ttlMs: ttl),
            status: status.map {
                Schedule(
                    leader: $0.leader, mode: $0.mode, symbols: $0.symbols, position: $0.position, cycle: $0.cycle,
                    exchangeTime: $0.exchangeTime, nextBatch: $0.nextBatch, enqueued: $0.enqueued, coalesced: $0.coalesced,
                    skipped: $0.skipped, fenced: $0.fenced, updated: $0.updated)
            },
            queues: Queues(jobs: try await queue(keys.jobs), jobsNow: try await queue(keys.jobsNow), deadLetters: try await redis.xlen(keys.jobsDead)))
        return try JSONResponse.make(report)
    }

    /// A job stream's length and its inference group's pending entries, lag and consumers.
    func queue(_ stream: String) async throws -> Queue {
        let length = try await redis.xlen(stream)
        // XINFO fails on a stream that does not exist (none enqueued yet, or Redis was reset).
        let group = try await redis.exists(stream) == 0 ? nil : try await redis.xinfoGroups(stream).first { $0.name == RedisKeys.Group.inference }
        return Queue(length: length, pending: group?.pending ?? 0, lag: group?.lag, consumers: group?.consumers ?? 0)
    }

    // MARK: - WebSocket ingest

    struct Connection: Decodable, Encodable, Sendable {
        var id: String
        var market: String
        var streams: Int
        var frames: Int64
        var reconnects: Int
        /// Unix ms; null while disconnected.
        @OrNull var connectedSince: Int64?
        @OrNull var lastFrameAgeMs: Int64?
        @OrNull var lastError: String?

        enum CodingKeys: String, CodingKey {
            case id, market, streams, frames, reconnects
            case connectedSince = "connected_since", lastFrameAgeMs = "last_frame_age_ms", lastError = "last_error"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // Ingest numbers its connections; read a name too.
            id = try (try? container.decode(Int.self, forKey: .id)).map(String.init) ?? container.decode(String.self, forKey: .id)
            market = try container.decode(String.self, forKey: .market)
            streams = try container.decode(Int.self, forKey: .streams)
            frames = try container.decode(Int64.self, forKey: .frames)
            reconnects = try container.decode(Int.self, forKey: .reconnects)
            connectedSince = try container.decodeIfPresent(Int64.self, forKey: .connectedSince)
            lastFrameAgeMs = try container.decodeIfPresent(Int64.self, forKey: .lastFrameAgeMs)
            lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        }
    }

    struct Instance: Encodable, Sendable {
        var instance: String
        var status: String
        var framesPerSecond: Double
        var symbolsFutures: Int
        var symbolsSpot: Int
        var connections: [Connection]
    }

    struct SymbolFreshness: Encodable, Sendable {
        var market: String
        var symbol: String
        /// Binance's event time of the newest kline frame stored for it; null before any.
        @OrNull var lastEventTime: Int64?
        /// How far that is behind the newest event time of any tracked symbol (the exchange's
        /// clock, so a replay or a skewed host reads the same); null before any frame.
        @OrNull var behindMs: Int64?
        var stale: Bool
    }

    struct WebSocketReport: Encodable {
        var instances: [Instance]
        var connections: Int
        var connected: Int
        var streams: Int
        var reconnects: Int
        /// The newest event time of any tracked symbol, Unix ms; null before any frame.
        @OrNull var exchangeTime: Int64?
        var staleAfterMs: Int64
        var staleSymbols: Int
        var symbols: [SymbolFreshness]
    }

    /// A symbol more than this behind the newest is stale: three missed 1m klines.
    static let staleAfterMillis: Int64 = 180_000

    func websocket() async throws -> Response {
        let instances = Self.ingestInstances(try await health.instances())
        let (newest, symbols) = try await freshness()
        let connections = instances.flatMap(\.connections)
        return try JSONResponse.make(WebSocketReport(
            instances: instances, connections: connections.count, connected: connections.filter { $0.connectedSince != nil }.count,
            streams: connections.reduce(0) { $0 + $1.streams }, reconnects: connections.reduce(0) { $0 + $1.reconnects },
            exchangeTime: newest, staleAfterMs: Self.staleAfterMillis, staleSymbols: symbols.filter(\.stale).count, symbols: symbols))
    }

    /// The live ingest instances among `heartbeats`, with their connections.
    static func ingestInstances(_ heartbeats: [SuiteHealth.Instance]) -> [Instance] {
        heartbeats.filter { $0.service == "ingest" }.map { heartbeat in
            let fields = heartbeat.fields
            let connections = (fields["connections"]).flatMap { try? JSONDecoder().decode([Connection].self, from: Data($0.utf8)) } ?? []
            return Instance(
                instance: heartbeat.instance, status: fields[HeartbeatField.status] ?? "unknown",
                framesPerSecond: Double(fields["frames_per_second"] ?? "") ?? 0,
                symbolsFutures: Int(fields["symbols_futures"] ?? "") ?? 0, symbolsSpot: Int(fields["symbols_spot"] ?? "") ?? 0,
                connections: connections)
        }.sorted { $0.instance < $1.instance }
    }

    /// Each tracked symbol's newest kline event time and how far it is behind the newest of
    /// any (the exchange's clock).
    func freshness() async throws -> (newest: Int64?, symbols: [SymbolFreshness]) {
        let tracked = try await postgres.query("SELECT market, symbol FROM tracked_symbols WHERE is_active ORDER BY market, symbol")
            .compactMap { row -> (Market, String)? in
                guard let market = Market(rawValue: try row.decode(0, as: String.self)) else { return nil }
                return (market, try row.decode(1, as: String.self))
            }
        var eventTimes: [Int64?] = []
        for chunk in stride(from: 0, to: tracked.count, by: 200).map({ Array(tracked[$0..<min($0 + 200, tracked.count)]) }) {
            let replies = try await redis.pipeline(commands: chunk.map { ["HGET", RedisArgument(keys.kline($0.0, $0.1)), "E"] })
            eventTimes += replies.map { $0.string.flatMap { Int64($0) } }
        }
        let newest = eventTimes.compactMap { $0 }.max()
        let symbols = zip(tracked, eventTimes).map { entry, time in
            let behind = time.flatMap { time in newest.map { max(0, $0 - time) } }
            return SymbolFreshness(
                market: entry.0.rawValue, symbol: entry.1, lastEventTime: time, behindMs: behind,
                stale: behind.map { $0 > Self.staleAfterMillis } ?? true)
        }
        return (newest, symbols)
    }
}
