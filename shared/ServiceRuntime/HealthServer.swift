import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus

/// The per-service HTTP port: `/metrics` (Prometheus text), `/healthz` (the process is alive:
/// 503 when a watched work loop has stalled, see `Readiness.watch`)
/// and `/readyz` (every readiness check passes; 503 with the failures otherwise).
public enum HealthServer {
    /// - Parameters:
    ///   - routes: adds a service's own middleware and routes (the gateway's API); called first,
    ///     so its middleware wraps the health routes too.
    ///   - server: the HTTP server (the gateway's upgrades WebSockets too).
    ///   - onRunning: called with the bound port once the server listens (useful with port 0).
    public static func make(
        service: String, host: String, port: Int, readiness: Readiness, registry: PrometheusCollectorRegistry,
        logger: Logger, routes: (Router<BasicRequestContext>) -> Void = { _ in }, server: HTTPServerBuilder = .http1(),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        routes(router)
        router.get("healthz") { _, _ -> Response in
            let stalled = readiness.stalled()
            guard stalled.isEmpty else {
                var body = ["status": "stalled", "service": service]
                for loop in stalled { body["stalled." + loop.name] = "no progress for \(loop.age.components.seconds) s" }
                return Self.json(.serviceUnavailable, body)
            }
            return Self.json(.ok, ["status": "alive", "service": service])
        }
        router.get("readyz") { _, _ -> Response in
            let results = await readiness.evaluate()
            let failures = results.filter { $0.failure != nil }
            let degraded = readiness.degraded
            var body: [String: String] = [
                "status": !failures.isEmpty ? "not ready" : degraded.isEmpty ? "ready" : "degraded", "service": service,
            ]
            for result in results { body["check." + result.name] = result.failure ?? "ok" }
            for part in degraded { body["degraded." + part.name] = part.reason }
            return Self.json(failures.isEmpty ? .ok : .serviceUnavailable, body)
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "alphapulse-\(service)"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    private static func json(_ status: HTTPResponse.Status, _ body: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
