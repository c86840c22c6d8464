import Contracts
import Core
import Foundation
import Logging
import Redis

/// What `alphapulse-scheduler status` prints: the leader's `scheduler:status`, the lease holder
/// and its remaining TTL, and the waiting job counts.
struct SchedulerStatusReport {
    var status: SchedulerStatus?
    var raw: [String: String]
    var leaseHolder: String?
    var leaseTTLMillis: Int?
    var jobs: Int
    var jobsNow: Int

    static func read(config: AlphaPulseConfig) async throws -> SchedulerStatusReport {
        let redis = RedisClient(configuration: try RedisConfiguration(url: config.redis.url), logger: Logger(label: "alphapulse.scheduler"))
        do {
            let report = try await read(redis: redis, keys: RedisKeys(prefix: config.redis.prefix))
            await redis.close()
            return report
        } catch {
            await redis.close()
            throw error
        }
    }

    static func read(redis: RedisClient, keys: RedisKeys) async throws -> SchedulerStatusReport {
        let raw = try await redis.hgetall(keys.schedulerStatus)
        let status = raw.isEmpty ? nil : try? SchedulerStatus(fields: StreamFields(raw))
        let holder = try await redis.get(keys.schedulerLease)
        var ttl: Int?
        if case .expires(let left) = try await redis.pttl(keys.schedulerLease) {
            ttl = Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
        }
        return SchedulerStatusReport(
            status: status, raw: raw,
            // The token is `{instance}-{random}`: show the instance.
            leaseHolder: holder.map { String($0[..<($0.lastIndex(of: "-") ?? $0.endIndex)]) }, leaseTTLMillis: ttl,
            jobs: try await redis.xlen(keys.jobs), jobsNow: try await redis.xlen(keys.jobsNow))
    }

    var text: String {
        var lines: [String] = []
        lines.append("lease:      " + (leaseHolder.map { "held by \($0)" + (leaseTTLMillis.map { ", \($0) ms left" } ?? "") } ?? "free (no scheduler leads)"))
        guard let status else {
            lines.append(raw.isEmpty ? "status:     none written yet" : "status:     unreadable (\(raw.count) fields)")
            return lines.joined(separator: "\n")
        }
        func time(_ millis: Int64) -> String {
            millis <= 0 ? "-" : ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
        }
        lines += [
            "leader:     \(status.leader.isEmpty ? "-" : status.leader) (written \(time(status.updated)))",
            "mode:       \(status.mode), \(status.symbols) symbols",
            "position:   \(status.position.isEmpty ? "-" : status.position), \(status.cycle) cycles completed",
            "exchange:   \(time(status.exchangeTime)), next batch at \(time(status.nextBatch))",
            "jobs:       \(status.enqueued) enqueued, \(status.coalesced) coalesced, \(status.skipped) skipped, \(status.fenced) fenced",
            "streams:    \(jobs) routine, \(jobsNow) on demand",
        ]
        return lines.joined(separator: "\n")
    }

    var json: String {
        var object: [String: Any] = ["status": raw, "jobs": jobs, "jobs_now": jobsNow]
        if let leaseHolder { object["lease_holder"] = leaseHolder }
        if let leaseTTLMillis { object["lease_ttl_ms"] = leaseTTLMillis }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
