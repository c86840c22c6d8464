import Core
import Foundation
import Logging
import Postgres
import Redis
import ServiceRuntime
import Testing
import TestSupport
@testable import Symbols

/// `serve`: leader lease, start-up refresh, refresh on request, degraded health and backoff.
@Suite struct ServeIntegrationTests {
    func settings(retryMin: Double = 0.2) -> SymbolsService.Settings {
        var settings = SymbolsService.Settings(config: try! AlphaPulseConfig.load(file: nil, environment: [:]), poll: .milliseconds(50))
        // Long enough that a stalled machine (CI saw 25 s) cannot let it lapse under a live
        // leader; a stopped leader releases it, so the takeover does not wait for it.
        settings.leaseTTL = .seconds(60)
        settings.retryMin = retryMin
        settings.retryMax = 0.5
        return settings
    }

    func snapshots(_ harness: SymbolsHarness) async throws -> Int {
        try await harness.postgres.query("SELECT count(DISTINCT snapshot_at) FROM tracked_symbols_history")[0].decode(0, as: Int.self)
    }

    struct Instance {
        let task: Task<Void, any Error>
        let status: SymbolsStatus
        let readiness: Readiness
    }

    func start(_ harness: SymbolsHarness, name: String, settings: SymbolsService.Settings) -> Instance {
        let status = SymbolsStatus()
        let readiness = Readiness()
        var logger = Logger(label: "symbols.serve.test")
        logger.logLevel = .critical
        let service = SymbolsService(
            refresher: harness.refresher(futures: 10, spot: 12), redis: harness.redis, prefix: harness.prefix,
            instance: name, settings: settings, readiness: readiness, status: status, logger: logger)
        return Instance(task: Task { try await service.run() }, status: status, readiness: readiness)
    }

    @Test func oneLeaderRefreshesAtStartAndOnRequestAndAnotherTakesOver() async throws {
        try await SymbolsHarness.with("symbols_serve") { (harness: SymbolsHarness) async throws in
            let first = start(harness, name: "a", settings: settings())
            let second = start(harness, name: "b", settings: settings())
            defer { first.task.cancel(); second.task.cancel() }

            // Exactly one leads, and the empty store is refreshed once at start.
            #expect(await waitUntil { (try? await snapshots(harness)) == 1 })
            #expect([first.status.isLeader, second.status.isLeader].filter { $0 }.count == 1)
            let leader = first.status.isLeader ? first : second
            let follower = first.status.isLeader ? second : first

            // A request through Redis: one more refresh, by the leader alone.
            _ = try await harness.redis.set(harness.prefix + "symbols:refresh", to: "1")
            #expect(await waitUntil { (try? await snapshots(harness)) == 2 })
            #expect(await waitUntil { (try? await harness.redis.exists(harness.prefix + "symbols:refresh")) == 0 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await snapshots(harness) == 2, "the request is taken once")
            #expect(leader.status.stats().contains { $0 == ("tracked_futures", "10") })

            // The leader stops; the other takes the lease within its TTL and does not refresh
            // a list that is still fresh.
            leader.task.cancel()
            _ = await leader.task.result
            #expect(await waitUntil(timeout: .seconds(60)) { follower.status.isLeader })
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await snapshots(harness) == 2)
        }
    }

    @Test func aFailingRefreshReportsDegradedAndRetriesUntilItSucceeds() async throws {
        try await SymbolsHarness.with("symbols_degraded") { (harness: SymbolsHarness) async throws in
            harness.faults.failWithStatus(503, for: 60)
            let instance = start(harness, name: "a", settings: settings())
            defer { instance.task.cancel() }
            #expect(await waitUntil { instance.readiness.degraded.first?.reason.contains("server_error") == true })
            #expect(await waitUntil { (instance.status.stats().first { $0.0 == "consecutive_failures" }.map { Int($0.1) ?? 0 } ?? 0) >= 2 },
                    "it retries")
            #expect(try await snapshots(harness) == 0)
            #expect(try await harness.redis.get(harness.prefix + "symbols") == nil)

            harness.faults.clear()
            #expect(await waitUntil { (try? await snapshots(harness)) == 1 })
            #expect(await waitUntil { instance.readiness.degraded.isEmpty })
            #expect(instance.status.stats().contains { $0 == ("last_error", "") })
        }
    }

    @Test func takingTheLeadRepairsALostCache() async throws {
        try await SymbolsHarness.with("symbols_repair") { (harness: SymbolsHarness) async throws in
            _ = try await harness.refresher(futures: 10, spot: 12).refresh()
            _ = try await harness.redis.delete(harness.prefix + "symbols")  // Redis lost it
            let instance = start(harness, name: "a", settings: settings())
            defer { instance.task.cancel() }
            #expect(await waitUntil { (try? await harness.redis.get(harness.prefix + "symbols")) != nil })
            let cached = try #require(try await SymbolCache(redis: harness.redis, prefix: harness.prefix).read())
            #expect(cached.version == 1 && cached.futures.count == 10 && cached.spot.count == 12)
            #expect(try await snapshots(harness) == 1, "a fresh list is not refetched")
        }
    }
}
