import Contracts
import Core
import Foundation
import REST
import Redis
import Synchronization

/// The heartbeat fields of `alphapulse-ingest serve`, for the gateway's websocket-status view.
///
/// - `connections`: JSON array, one object per connection — `id`, `market`, `streams`,
///   `connected_since` (ms, absent while down), `frames`, `last_frame_age_ms`, `reconnects`,
///   `last_error`.
/// - Totals: `frames_per_second`, `closed_candles_per_second` (over the last heartbeat
///   period), `frames`, `closed_candles`, `backfilled_candles`, `history_candles`,
///   `backfill_pending` (backfill jobs queued or being worked: 0 once a first backfill is done), `persisted_candles`,
///   `dropped_frames` (JSON object by cause), `symbols_futures`, `symbols_spot`, `shards`,
///   `persister_pending` and `persister_oldest_age_ms` (entries read but not yet committed),
///   `persister_lag` (entries not yet stored: undelivered + pending), `dead_letters` (JSON by
///   reason), `trimmed_unpersisted`, `redis_command_errors`, `binance_429`, `binance_418`, `binance_5xx`.
public final class IngestStatus: Sendable {
    let manager: ConnectionManager
    let metrics: IngestMetrics
    let owned: @Sendable () -> [Market: Set<String>]
    let shards: @Sendable () -> Int
    let backfillPending: @Sendable () -> Int
    let redis: RedisClient
    let keys: RedisKeys
    private let previous = Mutex<(time: Double, frames: Int, closed: Int)?>(nil)

    public init(
        manager: ConnectionManager, metrics: IngestMetrics, owned: @escaping @Sendable () -> [Market: Set<String>],
        shards: @escaping @Sendable () -> Int, backfillPending: @escaping @Sendable () -> Int = { 0 }, redis: RedisClient, keys: RedisKeys
    ) {
        self.backfillPending = backfillPending
        self.manager = manager
        self.metrics = metrics
        self.owned = owned
        self.shards = shards
        self.redis = redis
        self.keys = keys
    }

    public func stats() async -> [(String, String)] {
        let now = Date().timeIntervalSince1970
        let nowMillis = Int64(now * 1000)
        let totals = metrics.totals
        let rates = previous.withLock { last -> (Double, Double) in
            defer { last = (now, totals.frames, totals.closed) }
            guard let last, now > last.time else { return (0, 0) }
            return (Double(totals.frames - last.frames) / (now - last.time), Double(totals.closed - last.closed) / (now - last.time))
        }
        var connections: [[String: Any]] = []
        for slot in manager.slots {
            let status = slot.status
            var entry: [String: Any] = [
                "id": slot.id.rawValue, "market": slot.market.rawValue, "streams": slot.streams.count, "frames": status.frames,
                "reconnects": status.reconnects,
            ]
            if let since = status.connectedSince { entry["connected_since"] = since }
            if let last = status.lastFrameAt { entry["last_frame_age_ms"] = max(0, nowMillis - last) }
            if let error = status.lastError { entry["last_error"] = error }
            connections.append(entry)
        }
        var pending = 0
        var oldestAge: Int64 = 0
        if let summary = try? await redis.xpending(keys.candles, group: RedisKeys.Group.persister) {
            pending = summary.count
            if let id = summary.smallestID, let millis = Int64(id.split(separator: "-").first ?? "") { oldestAge = max(0, nowMillis - millis) }
        }
        var lag = ""
        if let group = try? await redis.xinfoGroups(keys.candles).first(where: { $0.name == RedisKeys.Group.persister }) {
            lag = group.lag.map { String($0 + group.pending) } ?? ""
        }
        let symbols = owned()
        return [
            ("connections", Self.json(connections)),
            ("frames_per_second", String(format: "%.1f", rates.0)),
            ("closed_candles_per_second", String(format: "%.2f", rates.1)),
            ("frames", String(totals.frames)),
            ("closed_candles", String(totals.closed)),
            ("backfilled_candles", String(totals.backfilled)),
            ("history_candles", String(totals.history)),
            ("backfill_pending", String(backfillPending())),
            ("persisted_candles", String(totals.persisted)),
            ("dropped_frames", Self.json(totals.dropped)),
            ("symbols_futures", String(symbols[.futures]?.count ?? 0)),
            ("symbols_spot", String(symbols[.spot]?.count ?? 0)),
            ("shards", String(shards())),
            ("persister_pending", String(pending)),
            ("persister_oldest_age_ms", String(oldestAge)),
            (HeartbeatField.persisterLag, lag),
            ("dead_letters", Self.json(totals.deadLetters)),
            ("trimmed_unpersisted", String(totals.trimmedUnpersisted)),
            ("redis_command_errors", String(totals.commandErrors)),
            (HeartbeatField.binance429, String(RateLimitTotals.tooManyRequests)),
            (HeartbeatField.binance418, String(RateLimitTotals.banned)),
            (HeartbeatField.binance5xx, String(RateLimitTotals.serverErrors)),
        ]
    }

    static func json(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
