import Contracts
import Core
import Foundation
import Hummingbird
import Redis

/// `GET /health`: the whole suite, from the heartbeats in Redis (`health:{service}:{instance}`),
/// in the `application/health+json` shape: per service its instances' status, readiness, time
/// since their last heartbeat, restarts and stats. An expected service without a live
/// heartbeat fails; 200 for pass and warn, 503 for fail.
///
/// How long ago an instance beat is read from its key's remaining TTL in Redis (every beat
/// resets it to `heartbeat.ttl_seconds`), never from the clock of the host that wrote it.
struct SuiteHealth: Sendable {
    let redis: RedisClient
    let keys: RedisKeys
    let expected: [String]
    let interval: Duration
    let ttl: Duration

    enum Status: String, Comparable {
        case pass, warn, fail
        static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
        var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
    }

    struct Instance {
        var service: String
        var instance: String
        var fields: [String: String]
        var ageMilliseconds: Int64
    }

    /// Every live heartbeat (SCAN, never KEYS, then one pipeline).
    func instances() async throws -> [Instance] {
        var cursor = "0"
        var names: [String] = []
        repeat {
            let reply = try await redis.send(arguments: ["SCAN", RedisArgument(cursor), "MATCH", RedisArgument(keys.healthPattern), "COUNT", "1000"])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string else { break }
            cursor = next
            names += parts[1].array?.compactMap(\.string) ?? []
        } while cursor != "0"
        guard !names.isEmpty else { return [] }
        let replies = try await redis.pipeline(commands: names.flatMap { [["HGETALL", RedisArgument($0)], ["PTTL", RedisArgument($0)]] })
        var result: [Instance] = []
        for (index, name) in names.enumerated() {
            let flat = replies[index * 2].array?.compactMap(\.string) ?? []
            guard let remaining = replies[index * 2 + 1].int, remaining >= 0, flat.count >= 2 else { continue }
            var fields: [String: String] = [:]
            for position in stride(from: 0, to: flat.count - 1, by: 2) { fields[flat[position]] = flat[position + 1] }
            let suffix = name.dropFirst(keys.healthPattern.count - 1)  // after "…health:"
            let parts = suffix.split(separator: ":", maxSplits: 1)
            let service = fields[HeartbeatField.service] ?? parts.first.map(String.init) ?? "unknown"
            let instance = fields[HeartbeatField.instance] ?? (parts.count > 1 ? String(parts[1]) : "unknown")
            let age = max(0, ttl.milliseconds - Int64(remaining))
            result.append(Instance(service: service, instance: instance, fields: fields, ageMilliseconds: age))
        }
        return result
    }

    /// An instance's status: ready and on time passes; degraded, stopping or late warns.
    func status(of instance: Instance) -> (Status, String?) {
        let late = instance.ageMilliseconds > 2 * interval.milliseconds + 1_000
        switch instance.fields[HeartbeatField.status] {
        case "ready" where !late: return (.pass, nil)
        case "ready": return (.warn, "last heartbeat \(instance.ageMilliseconds) ms ago")
        case "degraded": return (.warn, instance.fields[HeartbeatField.degraded].map { "degraded: \($0)" } ?? "degraded")
        case "stopping": return (.warn, "stopping")
        case let other: return (.warn, "status \(other ?? "missing")")
        }
    }

    /// The suite's status and each service's (its best instance's), for the WebSocket.
    func summary() async throws -> (status: String, services: [String: String]) {
        let (overall, checks) = try await evaluate()
        return (overall.rawValue, checks.mapValues { entries in
            entries.compactMap { ($0["status"] as? String).flatMap(Status.init(rawValue:)) }.min()?.rawValue ?? Status.fail.rawValue
        })
    }

    func response() async throws -> Response {
        let (overall, checks) = try await evaluate()
        let body: [String: Any] = [
            "status": overall.rawValue, "version": AlphaPulseVersion.current, "description": "AlphaPulse suite health", "checks": checks,
        ]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return Response(
            status: overall == .fail ? .serviceUnavailable : .ok, headers: [.contentType: "application/health+json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The overall status and, per service, one check object per instance.
    func evaluate() async throws -> (Status, [String: [[String: Any]]]) {
        let live = try await instances()
        var checks: [String: [[String: Any]]] = [:]
        var overall = Status.pass
        let services = Set(expected).union(live.map(\.service)).sorted()
        let identity: Set<String> = [
            SchemaVersion.field, HeartbeatField.service, HeartbeatField.instance, HeartbeatField.status, HeartbeatField.updatedAt,
            HeartbeatField.degraded, HeartbeatField.restarts, HeartbeatField.starts,
        ]
        for service in services {
            let mine = live.filter { $0.service == service }.sorted { $0.instance < $1.instance }
            if mine.isEmpty {
                checks[service] = [["componentType": "service", "status": Status.fail.rawValue, "ready": false, "output": "no live heartbeat"]]
                overall = max(overall, .fail)
                continue
            }
            var entries: [[String: Any]] = []
            var best = Status.fail
            for instance in mine {
                let (status, output) = status(of: instance)
                best = min(best, status)
                var entry: [String: Any] = [
                    "componentId": instance.instance, "componentType": "service", "status": status.rawValue,
                    "ready": status == .pass, "lastSeenMilliseconds": instance.ageMilliseconds,
                    "restarts": Int(instance.fields[HeartbeatField.restarts] ?? "") ?? 0,
                    "stats": instance.fields.filter { !identity.contains($0.key) },
                ]
                if let time = instance.fields[HeartbeatField.updatedAt] { entry["time"] = time }
                if let output { entry["output"] = output }
                entries.append(entry)
            }
            checks[service] = entries
            // One ready instance carries a service; only expected services can fail the suite.
            overall = max(overall, expected.contains(service) ? best : min(best, .warn))
        }
        return (overall, checks)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
