import Contracts
import Foundation
import Postgres
import Redis
import Testing
import TestSupport

/// `alphapulse-ingest serve` stops on SIGTERM even when Redis has gone away: the last flush,
/// the lease release and the heartbeat removal each give up after a few seconds instead of
/// waiting out reconnect attempts one command at a time (which took minutes).
@Suite struct ShutdownTests {
    @Test func sigtermStopsTheProcessWhenRedisIsGone() async throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("alphapulse-ingest").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "\(executable) is not built")
        let schema = TestEnvironment.uniqueName("ingest_shutdown")
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: TestEnvironment.databaseURL()))
        _ = try await admin.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(PostgresQuery.quoteIdentifier(schema))"))
        let redisServer = try await PrivateRedis()
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisServer.url()))
        var components = try #require(URLComponents(string: try TestEnvironment.databaseURL()))
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "search_path", value: schema)]
        let nowhere = try freePort()

        var environment = ProcessInfo.processInfo.environment
        for (key, value) in [
            "DATABASE_URL": try #require(components.string), "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "2",
            "REDIS_URL": redisServer.url(), "INSTANCE_ID": "stopper", "PORTS_INGEST": "0", "HEARTBEAT_INTERVAL_SECONDS": "1",
            "LOG_LEVEL": "warning",
            "BINANCE_SPOT_REST_URL": "http://127.0.0.1:\(nowhere)", "BINANCE_FUTURES_REST_URL": "http://127.0.0.1:\(nowhere)",
            "BINANCE_SPOT_WS_URL": "ws://127.0.0.1:\(nowhere)", "BINANCE_FUTURES_WS_URL": "ws://127.0.0.1:\(nowhere)/market",
        ] {
            environment["ALPHAPULSE_" + key] = value
        }
        let list = SymbolList.ranked(version: 1, refreshedAt: "2026-02-02T00:00:00Z", futures: ["BTCUSDT"], spot: [])
        _ = try await redis.set("ap:symbols", to: String(decoding: list.encoded(), as: UTF8.self))
        let process = try SpawnedProcess([executable, "serve"], environment: environment)
        defer { kill(process.pid, SIGKILL) }

        // Running: it holds its shards and beats.
        let running = await waitUntil(timeout: .seconds(60)) {
            let beating = (try? await redis.send("EXISTS", "ap:health:ingest:stopper"))?.int == 1
            let member = (try? await redis.send("ZCARD", "ap:ingest:members"))?.int == 1
            return beating && member
        }
        #expect(running, "\(process.outputSoFar.suffix(2_000))")
        await redis.close()

        await redisServer.stop(graceful: false)
        try await Task.sleep(for: .seconds(1))
        kill(process.pid, SIGTERM)
        // Before the fix this took minutes: 16 lease releases and a flush retried 20 times, each
        // waiting out Redis's 10 s reconnect window. It takes about 4 s; the bound is generous for
        // a loaded machine yet below the 20 s after which the service group cancels everything,
        // so it holds only if each step gives up by itself.
        if let result = await process.exit(within: .seconds(15)) {
            #expect(result.status == 0, "\(result.output.suffix(2_000))")
        } else {
            Issue.record("alphapulse-ingest did not stop within 15 s of SIGTERM with Redis gone: \(process.outputSoFar.suffix(2_000))")
        }
        await redisServer.cleanup()
        _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP SCHEMA \(PostgresQuery.quoteIdentifier(schema)) CASCADE"))
        await admin.close()
    }
}
