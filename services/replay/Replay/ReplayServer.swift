import Hummingbird
import HummingbirdWebSocket
import Logging

/// The replay server: Binance's REST paths, its WebSocket streams and the fault-control API,
/// all on one port.
public enum ReplayServer {
    /// Builds the application; run it as a `Service` or with `runService()`.
    /// - Parameter onRunning: called with the bound port once it listens (port 0 picks one).
    public static func make(
        state: ReplayState, host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> (application: some ApplicationProtocol, hub: StreamHub, restFaults: RESTFaults) {
        let router = Router()
        let faults = RESTFaults()
        RESTRoutes.register(on: router, state: state, faults: faults)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        let hub = WebSocketRoutes.register(on: webSocketRouter, controls: router, state: state)
        let application = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter, configuration: WebSocketRoutes.serverConfiguration()),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "alphapulse-replay"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: state.logger
        )
        return (application, hub, faults)
    }
}
