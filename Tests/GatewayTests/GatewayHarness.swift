import Core
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Gateway
import Postgres
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// An in-process gateway on a free loopback port over a fresh schema, for one test.
struct GatewayHarness: Sendable {
    let base: String
    /// The other gateways' bases when the harness runs several over the same stores.
    let others: [String]
    let stores: TestStores

    var keys: KeyStore { KeyStore(postgres: stores.pool) }

    /// The same harness talking to another of its gateways.
    func on(_ other: String) -> GatewayHarness { GatewayHarness(base: other, others: [], stores: stores) }

    static func with(
        _ name: String, settings extra: [String: String] = [:], gateways count: Int = 1, _ body: @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        try await TestStores.with(name) { stores in
            var apps: [(ServiceApp, Task<Void, any Error>)] = []
            var bases: [String] = []
            // A graceful stop, cancelled after 30 s: a shutdown asked before the app had its
            // service group (it does nothing then) or a stop that hangs cannot hold the test.
            func stopAll() async {
                for (app, running) in apps {
                    await app.shutdown()
                    let watchdog = Task {
                        try await Task.sleep(for: .seconds(30))
                        running.cancel()
                    }
                    _ = await running.result
                    watchdog.cancel()
                }
            }
            do {
                for index in 0..<count {
                    let config = try AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: [
                        "database.url": try stores.databaseURL, "redis.url": try TestEnvironment.redisURL(), "redis.prefix": stores.prefix,
                        "database.pool_min": "1", "database.pool_max": "4", "instance.id": index == 0 ? "gateway-test" : "gateway-test-\(index + 1)",
                        "http.host": "127.0.0.1", "log.level": "critical",
                    ].merging(extra) { $1 }))
                    let app = try await ServiceApp(service: "gateway", config: config, port: 0)
                    let port = Mutex<Int?>(nil)
                    let settings = try GatewaySettings(config: config)
                    let running = Task { try await GatewayServer.run(app, settings: settings, signals: []) { bound in port.withLock { $0 = bound } } }
                    apps.append((app, running))
                    #expect(await waitUntil { port.withLock { $0 } != nil })
                    bases.append("http://127.0.0.1:\(try #require(port.withLock { $0 }))")
                }
                try await body(GatewayHarness(base: bases[0], others: Array(bases.dropFirst()), stores: stores))
            } catch {
                await stopAll()
                throw error
            }
            await stopAll()
        }
    }

    /// One HTTP exchange; never throws for an HTTP status.
    func call(_ method: String = "GET", _ path: String, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: base + path)))
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }

    /// `call` with `key` as a bearer token.
    func get(_ path: String, key: APIKey) async throws -> Answer {
        try await call(path, headers: ["Authorization": "Bearer \(key.text)"])
    }

    func call(_ path: String, headers: [String: String]) async throws -> Answer {
        try await call("GET", path, headers: headers)
    }

    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        /// The body as a JSON object (empty when it is not one).
        var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }

        var contentType: String { headers["content-type"] ?? "" }

        /// A problem+json answer's `parameter`, `status` and `detail`.
        var problem: (status: Int?, parameter: String?, detail: String?) {
            let body = object
            return (body["status"] as? Int, body["parameter"] as? String, body["detail"] as? String)
        }
    }
}
