import Foundation
import Hummingbird
import HummingbirdWebSocket

/// Binance's WebSocket market-stream endpoints and the WebSocket fault controls.
///
/// Spot: `/ws/<stream>[/<stream>…]` (raw payloads) and `/stream?streams=a/b` (combined,
/// `{"stream":…,"data":…}`); USDT-M futures: the same under `/market`. `/ws` and `/stream`
/// without streams connect with none (subscribe later). A path naming a stream the market does
/// not serve, or more streams than a connection may hold, is refused with HTTP 400.
public enum WebSocketRoutes {
    /// Registers the stream paths on `wsRouter` and the fault controls on `controls`.
    /// - Returns: the hub that tracks the live connections.
    public static func register(
        on wsRouter: Router<BasicWebSocketRequestContext>, controls: Router<BasicRequestContext>, state: ReplayState
    ) -> StreamHub {
        let hub = StreamHub(state: state)
        for market in ReplayMarket.allCases {
            let prefix = market == .spot ? "" : "/market"
            for path in ["\(prefix)/ws", "\(prefix)/ws/**", "\(prefix)/stream"] {
                wsRouter.ws(
                    RouterPath(path),
                    shouldUpgrade: { request, _ in
                        guard requested(request, market: market, options: state.options) != nil else {
                            throw HTTPError(.badRequest, message: "Invalid request")
                        }
                        return .upgrade([:])
                    },
                    onUpgrade: { inbound, outbound, context in
                        guard let (streams, combined) = requested(context.request, market: market, options: state.options) else { return }
                        await hub.serve(
                            market: market, path: context.request.uri.path, streams: streams, combined: combined,
                            inbound: inbound, outbound: outbound, logger: context.logger
                        )
                    }
                )
            }
        }
        WebSocketFaults.registerControls(on: controls, hub: hub)
        return hub
    }

    /// The channel configuration these routes expect, for
    /// `.http1WebSocketUpgrade(webSocketRouter:configuration:)`: the replay server sends Binance's
    /// pings itself (per market interval and pong timeout, silent during a stall), so
    /// hummingbird-websocket's own auto-ping is off.
    public static func serverConfiguration(maxFrameSize: Int = 1 << 20) -> HTTP1WebSocketUpgradeChannel.Configuration {
        HTTP1WebSocketUpgradeChannel.Configuration(ws: WebSocketServerConfiguration(maxFrameSize: maxFrameSize, autoPing: .disabled))
    }

    /// The streams a connection request names and whether it is a combined-stream path; nil when
    /// a name is invalid for the market or there are too many.
    static func requested(_ request: Request, market: ReplayMarket, options: ReplayOptions) -> (streams: [StreamName], combined: Bool)? {
        var components = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
        if market == .futures {
            guard components.first == "market" else { return nil }
            components.removeFirst()
        }
        guard let kind = components.first else { return nil }
        let names: [Substring]
        let combined: Bool
        switch kind {
        case "ws":
            names = components.dropFirst().map { Substring($0.removingPercentEncoding ?? String($0)) }
            combined = false
        case "stream":
            guard components.count == 1 else { return nil }
            names = (request.uri.queryParameters.get("streams") ?? "").split(separator: "/", omittingEmptySubsequences: true)
            combined = true
        default:
            return nil
        }
        var streams: [StreamName] = []
        for name in names {
            guard let stream = StreamName(name, market: market) else { return nil }
            if !streams.contains(stream) { streams.append(stream) }
        }
        let limit = market == .spot ? options.spotMaxStreams : options.futuresMaxStreams
        guard streams.count <= limit else { return nil }
        return (streams, combined)
    }
}
