import Contracts
import Core
import Foundation
import Logging
import Postgres
import Redis
import REST
import ServiceLifecycle
import Testing
import TestSupport
@testable import ServiceRuntime

/// A service that buffers work and must flush it on graceful shutdown.
struct BufferingService: Service {
    let flushed: FlushRecorder
    func run() async throws {
        try? await gracefulShutdown()
        await flushed.flush()
    }
}

actor FlushRecorder {
    private(set) var count = 0
    func flush() { count += 1 }
}

/// A service that ignores graceful shutdown and only stops when cancelled.
struct StubbornService: Service {
    let cancelled: FlushRecorder
    func run() async throws {
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            await cancelled.flush()
        }
    }
}

@Suite(.serialized) struct ServiceAppTests {
    /// A configuration for `schema` and key `prefix` on the test servers.
    static func config(schema: String, prefix: String, extra: [String: String] = [:]) throws -> AlphaPulseConfig {
        let databaseURL = try TestEnvironment.databaseURL()
        let separator = databaseURL.contains("?") ? "&" : "?"
        let emptyFile = NSTemporaryDirectory() + "alphapulse-empty-\(UUID().uuidString).yaml"
        #expect(FileManager.default.createFile(atPath: emptyFile, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: emptyFile) }
        return try AlphaPulseConfig.load(file: emptyFile, environment: [
            "ALPHAPULSE_DATABASE_URL": databaseURL + separator + "search_path=" + schema,
            "ALPHAPULSE_REDIS_URL": try TestEnvironment.redisURL(),
            "ALPHAPULSE_REDIS_PREFIX": prefix,
            "ALPHAPULSE_DATABASE_POOL_MIN": "1",
            "ALPHAPULSE_DATABASE_POOL_MAX": "4",
            "ALPHAPULSE_HEARTBEAT_INTERVAL_SECONDS": "0.2",
            "ALPHAPULSE_HEARTBEAT_TTL_SECONDS": "5",
            "ALPHAPULSE_INSTANCE_ID": "test-1",
        ].merging(extra) { $1 })
    }

    @Test func aServiceThatIgnoresShutdownIsCancelledAfterTheGracePeriod() async throws {
        let schema = TestEnvironment.uniqueName("runtime_grace")
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: TestEnvironment.databaseURL()))
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        let config = try Self.config(schema: schema, prefix: schema + ":", extra: ["ALPHAPULSE_SHUTDOWN_GRACE_SECONDS": "1"])
        #expect(config.runtime.shutdownGraceSeconds == 1)
        let app = try await ServiceApp(service: "testsvc", config: config, port: 0)
        let cancelled = FlushRecorder()
        let port = PortBox()
        let running = Task { try await app.run([StubbornService(cancelled: cancelled)], stats: { [] }, signals: []) { await port.set($0) } }
        #expect(await waitUntil { await port.value != nil })
        await app.shutdown()
        // Without the grace limit the service would hold the group for an hour.
        let stopped = await waitUntil(timeout: .seconds(60)) { await cancelled.count == 1 }
        #expect(stopped, "the service was cancelled after the grace period")
        if !stopped { running.cancel() }
        try? await running.value
        try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
    }

    @Test func servesHealthReadinessMetricsHeartbeatAndStopsGracefully() async throws {
        let databaseURL = try TestEnvironment.databaseURL()
        let redisURL = try TestEnvironment.redisURL()
        let schema = TestEnvironment.uniqueName("runtime")
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: databaseURL))
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        let prefix = schema + ":"
        let config = try Self.config(schema: schema, prefix: prefix)
        let app = try await ServiceApp(service: "testsvc", config: config, port: 0)
        // Startup migrated the schema.
        let migrated = try await app.context.postgres.query("SELECT count(*) FROM schema_migrations")
        #expect(try migrated[0].decode(0, as: Int.self) >= 1)

        let recorder = FlushRecorder()
        let port = PortBox()
        let running = Task { try await app.run([BufferingService(flushed: recorder)], stats: { [("frames", "12")] }, signals: []) { await port.set($0) } }
        #expect(await waitUntil { await port.value != nil })
        let base = "http://127.0.0.1:\(await port.value!)"
        let http = RESTClient(configuration: .init(maxRetries: 0))

        let health = try await http.get(base + "/healthz")
        #expect(health.status == 200)
        let ready = try await http.get(base + "/readyz")
        #expect(ready.text.contains("\"status\":\"ready\""))

        // The pool opened a connection, which the metrics count.
        let metrics = try await http.get(base + "/metrics")
        #expect(metrics.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        #expect(metrics.text.contains("alphapulse_postgres_connections_opened"))

        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        let key = prefix + "health:testsvc:test-1"
        #expect(await waitUntil { (try? await redis.hgetall(key)["status"]) == "ready" })
        let heartbeat = try await redis.hgetall(key)
        #expect(heartbeat["frames"] == "12")
        #expect(heartbeat["pid"] == String(ProcessInfo.processInfo.processIdentifier))
        #expect(heartbeat["_v"] == "2")
        #expect(heartbeat["starts"] == "1" && heartbeat["restarts"] == "0", "the first start of this instance id")
        #expect(heartbeat["crashes"] == "0" && heartbeat["crashed_at"] == nil)
        let runningKey = prefix + "running:testsvc:test-1"
        #expect(try await redis.get(runningKey)?.hasPrefix("\(ProcessInfo.processInfo.processIdentifier):") == true, "marked running")
        #expect((Int(heartbeat["rss_bytes"] ?? "") ?? 0) > 1 << 20)
        #expect(Double(heartbeat["cpu_seconds"] ?? "") != nil)

        // A work loop that stops making progress fails the liveness check.
        app.context.readiness.watch(WorkProgress(name: "stuck", now: .now - .seconds(10)), limit: .seconds(1))
        let stalled = await #expect(throws: RESTError.self) { try await http.get(base + "/healthz") }
        #expect(stalled?.status == 503)
        #expect(stalled?.bodySnippet?.contains("\"stalled.stuck\"") == true)
        let ttl = try await redis.send("PTTL", key).int ?? -1
        #expect(ttl > 0 && ttl <= 5_000)

        await app.shutdown()
        try await running.value
        #expect(await recorder.count == 1, "the service flushed on graceful shutdown")
        #expect(try await redis.exists(key) == 0, "the heartbeat is removed at shutdown")
        #expect(try await redis.exists(runningKey) == 0, "and the running mark: this was a clean exit")
        _ = try await redis.delete(prefix + "restarts:testsvc:test-1")
        // The port no longer serves: the connect is refused, or — while NIO finishes closing the
        // listening socket — accepted and reset.
        let fresh = RESTClient(configuration: .init(timeout: .seconds(5), maxRetries: 0))
        let refused = await #expect(throws: RESTError.self) { try await fresh.get(base + "/healthz") }
        #expect(refused?.code == .connectFailed || refused?.code == .transport)

        await redis.close()
        try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
    }

    @Test func readinessReportsTheFailingCheck() async throws {
        let readiness = Readiness()
        readiness.add("database") {}
        readiness.add("binance") { throw PostgresError(.connectionFailed, message: "down", connectionUsable: false) }
        readiness.add("slow") { try await Task.sleep(for: .seconds(30)) }
        let results = await readiness.evaluate(timeout: .milliseconds(200))
        #expect(results.map(\.name) == ["binance", "database", "slow"])
        #expect(results[0].failure?.contains("down") == true)
        #expect(results[1].failure == nil)
        #expect(results[2].failure?.contains("no answer") == true)
        #expect(await readiness.isReady(timeout: .milliseconds(200)) == false)
    }
}

actor PortBox {
    var value: Int?
    func set(_ port: Int) { value = port }
}

@Suite struct JSONLogTests {
    @Test func writesOneJSONObjectPerLineWithMetadata() throws {
        let path = NSTemporaryDirectory() + "alphapulse-log-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { unlink(path) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var logger = Logger(label: "alphapulse.test") { label in
            JSONLogHandler(label: label, service: "ingest", output: LogOutput(descriptor: handle.fileDescriptor))
        }
        logger.logLevel = .debug
        logger.info("frame dropped", metadata: ["symbol": "BTCUSDT", "stream.key": "ap:candles", "db.rows": .stringConvertible(3)])
        logger.trace("not written")
        logger.warning("quote \" and newline \n inside")
        try handle.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["msg"] as? String == "frame dropped")
        #expect(first?["level"] as? String == "info")
        #expect(first?["service"] as? String == "ingest")
        #expect(first?["symbol"] as? String == "BTCUSDT")
        #expect(first?["stream.key"] as? String == "ap:candles")
        #expect(first?["db.rows"] as? String == "3")
        #expect((first?["ts"] as? String)?.hasSuffix("Z") == true)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect(second?["msg"] as? String == "quote \" and newline \n inside")
    }
}

/// Unclean exits: a start that finds the previous run's `running:` mark counts one, with Redis's
/// time; a graceful stop removes the mark, so the start after it counts none.
@Suite struct HeartbeatCrashTests {
    @Test func aStartThatFindsTheRunningMarkCountsAnUncleanExit() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let prefix = TestEnvironment.uniqueName("heartbeat_crash") + ":"
        let keys = RedisKeys(prefix: prefix)
        var logger = Logger(label: "heartbeat.test")
        logger.logLevel = .critical
        let quiet = logger
        func heartbeat() -> Heartbeat {
            Heartbeat(service: "svc", instance: "i-1", prefix: prefix, interval: .milliseconds(200), ttl: .seconds(30), redis: redis,
                      readiness: Readiness(), logger: quiet)
        }
        func fields(_ list: [(String, String)]) -> [String: String] { Dictionary(list, uniquingKeysWith: { $1 }) }

        let killed = heartbeat()
        let first = try await killed.countStart()
        #expect(first.starts == 1 && fields(first.crashes) == ["crashes": "0"], "a first start follows no exit at all")
        // The same run's start again (a retry after a lost reply) counts neither a start nor a crash.
        let retried = try await killed.countStart()
        #expect(retried.starts == 1 && fields(retried.crashes) == ["crashes": "0"])
        // That run is killed: its mark stays, and the next run's start counts an unclean exit,
        // which its heartbeat carries.
        let before = try await redis.time()
        let group = ServiceGroup(configuration: .init(services: [heartbeat()], logger: quiet))
        let running = Task { try await group.run() }
        #expect(await waitUntil { (try? await redis.hgetall(keys.health("svc", "i-1")))?["crashes"] == "1" })
        let after = try await redis.time()
        let beat = try await redis.hgetall(keys.health("svc", "i-1"))
        #expect(beat["starts"] == "2")
        let at = try #require(beat["crashed_at"].flatMap { Int64($0) })
        #expect((before...after).contains(at), "dated by Redis's clock")

        // That run stops gracefully and removes its mark: the start after it counts none, and
        // still carries the earlier one.
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try await redis.exists(keys.running("svc", "i-1")) == 0)
        let third = try await heartbeat().countStart()
        #expect(third.starts == 3 && fields(third.crashes) == ["crashes": "1", "crashed_at": String(at)])
        _ = try await redis.delete(keys: [keys.restarts("svc", "i-1"), keys.running("svc", "i-1"), keys.crashes("svc", "i-1"), keys.health("svc", "i-1")])
        await redis.close()
    }
}
