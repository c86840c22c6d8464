import Core
import Foundation

/// The gateway's access settings, checked against the bind address.
public struct GatewaySettings: Sendable, Equatable {
    /// Whether API keys are required (`gateway.auth`).
    public var auth: Bool
    /// Whether /metrics is served without a key (`gateway.metrics_auth`).
    public var metricsPublic: Bool
    /// The services `/health` expects a live heartbeat of (`gateway.expected_services`).
    public var expectedServices: [String]
    /// Per-key requests per second, 0 for no limit (`gateway.rate_limit_per_second`).
    public var rateLimitPerSecond: Double
    /// Per-key bucket size (`gateway.rate_limit_burst`).
    public var rateLimitBurst: Int
    /// Origins allowed to call the API from a browser (`gateway.cors_origins`; `*` for any).
    public var corsOrigins: [String]
    /// Messages one WebSocket client may have waiting before it is closed as slow (`gateway.ws_queue_messages`).
    public var webSocketQueue: Int
    /// WebSocket clients one gateway serves at once (`gateway.ws_max_connections`).
    public var webSocketMaxClients: Int
    /// How long an on-demand analysis may take (`gateway.on_demand_timeout_seconds`).
    public var onDemandTimeout: Duration
    /// On-demand requests allowed to wait at once (`gateway.on_demand_max_waiting`).
    public var onDemandMaxWaiting: Int
    /// Bound of `jobs:now` (`analysis.jobs_maxlen`, as the scheduler bounds `jobs`).
    public var jobsMaxLength: Int

    /// - Throws: `ConfigError` naming `gateway.auth` when it is off on an address other than loopback.
    public init(config: AlphaPulseConfig) throws {
        let resolved = config.resolved
        let loopback = Self.isLoopback(config.runtime.httpHost)
        auth = resolved.string("gateway.auth") != "off"
        guard auth || loopback else {
            throw ConfigError(
                key: "gateway.auth",
                message: "off is accepted only when http.host is a loopback address (it is \(config.runtime.httpHost)): anyone who can reach the port would read everything")
        }
        expectedServices = resolved.list("gateway.expected_services").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        rateLimitPerSecond = resolved.double("gateway.rate_limit_per_second")
        rateLimitBurst = resolved.int("gateway.rate_limit_burst")
        corsOrigins = resolved.list("gateway.cors_origins").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        webSocketQueue = resolved.int("gateway.ws_queue_messages")
        webSocketMaxClients = resolved.int("gateway.ws_max_connections")
        onDemandTimeout = .milliseconds(Int64(resolved.double("gateway.on_demand_timeout_seconds") * 1000))
        onDemandMaxWaiting = resolved.int("gateway.on_demand_max_waiting")
        jobsMaxLength = resolved.int("analysis.jobs_maxlen")
        switch resolved.string("gateway.metrics_auth") {
        case "on": metricsPublic = false
        case "off": metricsPublic = true
        default: metricsPublic = loopback
        }
    }

    /// 127.0.0.0/8, ::1 or localhost.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
