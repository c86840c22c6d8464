import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import Metrics
import NIOWebSocket

/// `/api/v1/ws`: the WebSocket push channel.
///
/// Authentication, since browsers cannot set headers on a WebSocket: `Authorization` or
/// `X-API-Key` (other clients), or `Sec-WebSocket-Protocol: alphapulse.v1, <key>` (the server
/// answers `alphapulse.v1`, never the key), or a first message `{"type":"auth","key":"…"}`
/// within 10 seconds. A wrong key is refused (401 before the upgrade, close code 4001 after).
///
/// Client messages: `subscribe` / `unsubscribe` with `channels` (`signals`, `outcomes`,
/// `alerts`, `health`, `klines:{market}:{symbol}`) and, on subscribe, an optional `resume` (a
/// signals-stream id: what came after it is sent first, in order); `ping`. Server messages are
/// `{type, data}`: `authenticated`, `subscribed`, `signal`, `outcome`, `kline`, `alert`,
/// `health`, `gap`, `pong`, `error`.
///
/// Close codes: 4001 not authenticated, 4008 slow consumer (more than the queue bound waiting),
/// 4013 too many connections, 1008 too many bad messages, 1001 the gateway stops.
struct PushRoutes: Sendable {
    let hub: PushHub
    let keys: KeyStore
    let limiter: RateLimiter
    let authEnabled: Bool
    let logger: Logger

    static let subprotocol = "alphapulse.v1"
    static let maxChannels = 200
    static let maxBadMessages = 100
    static let authTimeout: Duration = .seconds(10)

    enum CloseCode {
        static let unauthorized = 4001
        static let slowConsumer = 4008
        static let tooManyConnections = 4013
    }

    func register(on router: Router<BasicWebSocketRequestContext>) {
        router.ws(
            "api/v1/ws",
            shouldUpgrade: { request, _ in
                let offered = Self.offeredProtocols(request)
                var headers = HTTPFields()
                if offered.contains(Self.subprotocol) { headers[.secWebSocketProtocol] = Self.subprotocol }
                if authEnabled, let presented = Self.presentedKey(request) {
                    try await authenticate(presented)
                }
                return .upgrade(headers)
            },
            onUpgrade: { inbound, outbound, context in
                let authenticated = !authEnabled || Self.presentedKey(context.request) != nil
                await serve(inbound: inbound, outbound: outbound, authenticated: authenticated)
            })
    }

    static func offeredProtocols(_ request: Request) -> [String] {
        (request.headers[.secWebSocketProtocol] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A key in a header or among the offered subprotocols.
    static func presentedKey(_ request: Request) -> String? {
        AuthMiddleware<BasicRequestContext>.presentedKey(request) ?? offeredProtocols(request).first { $0.hasPrefix(APIKey.textPrefix) }
    }

    /// - Throws: `Problem` 401 for a key that is not valid, 429 when its rate limit is spent.
    func authenticate(_ presented: String) async throws {
        guard let key = APIKey(presented), try await keys.authenticate(key) != nil else {
            Counter(label: "alphapulse.gateway.auth_failures", dimensions: [("reason", "invalid")]).increment()
            throw Problem(.unauthorized, "the API key is not valid (unknown, revoked or mistyped)", headers: ["WWW-Authenticate": "Bearer"])
        }
        if case .limited(let seconds) = await limiter.admit(key.prefix) {
            throw Problem(.tooManyRequests, "this key's rate limit is spent; retry in \(seconds) s", headers: ["Retry-After": String(seconds)])
        }
    }

    struct Inbound: Decodable {
        var type: String
        var key: String?
        var channels: [String]?
        var resume: String?
    }

    struct Subscribed: Encodable { var channels: [String] }
    struct Failure: Encodable { var message: String }
    struct Authenticated: Encodable { var clientId: Int }
    struct Empty: Encodable {}

    static func valid(channel: String) -> Bool {
        ["signals", "outcomes", "alerts", "health"].contains(channel) || PushHub.klineSubject(channel) != nil
    }

    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, authenticated: Bool) async {
        guard let client = hub.connect() else {
            try? await outbound.close(.unknown(UInt16(CloseCode.tooManyConnections)), reason: "too many connections")
            return
        }
        Counter(label: "alphapulse.gateway.ws.connections").increment()
        defer { hub.disconnect(client) }
        let ended = AsyncStream<Void>.makeStream()
        let authed = SharedFlag(authenticated)
        if authenticated { client.with { $0.enqueue(PushHub.message(type: "authenticated", data: Authenticated(clientId: client.id)), channel: nil) } }

        let writer = Task {
            for await _ in client.wakes {
                for text in client.drain() {
                    do { try await outbound.write(.text(text)) } catch { break }
                }
            }
            ended.continuation.yield()
        }
        // The bound is hit: close with 4008 and stop (the handler returning drops the
        // connection even when the socket is too full for the close frame).
        let watchdog = Task {
            var slowed = client.slowed.makeAsyncIterator()
            let deadline = ContinuousClock.now + Self.authTimeout
            if !authed.isSet {
                while !authed.isSet, ContinuousClock.now < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                }
                if !authed.isSet, !Task.isCancelled {
                    try? await outbound.close(.unknown(UInt16(CloseCode.unauthorized)), reason: "no API key within \(Self.authTimeout)")
                    ended.continuation.yield()
                    return
                }
            }
            if await slowed.next() != nil, client.isSlow {
                Counter(label: "alphapulse.gateway.ws.slow_consumers").increment()
                try? await outbound.close(
                    .unknown(UInt16(CloseCode.slowConsumer)), reason: "slow consumer: more than \(hub.settings.queueCapacity) messages waiting")
                ended.continuation.yield()
            }
        }
        let reader = Task {
            await read(inbound: inbound, outbound: outbound, client: client, authed: authed)
            ended.continuation.yield()
        }
        var iterator = ended.stream.makeAsyncIterator()
        await iterator.next()
        writer.cancel()
        reader.cancel()
        watchdog.cancel()
        let grace = Task {
            try? await Task.sleep(for: .seconds(2))
            ended.continuation.yield()
        }
        await iterator.next()
        grace.cancel()
        ended.continuation.finish()
    }

    private func reply(_ client: PushClient, _ type: String, _ data: some Encodable) {
        client.with { $0.enqueue(PushHub.message(type: type, data: data), channel: nil) }
    }

    private func read(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, client: PushClient, authed: SharedFlag) async {
        var bad = 0
        do {
            for try await message in inbound.messages(maxSize: 1 << 16) {
                guard case .text(let text) = message, let request = try? JSONDecoder().decode(Inbound.self, from: Data(text.utf8)) else {
                    bad += 1
                    Counter(label: "alphapulse.gateway.ws.bad_messages").increment()
                    if bad > Self.maxBadMessages {
                        try? await outbound.close(.policyViolation, reason: "too many bad messages")
                        return
                    }
                    reply(client, "error", Failure(message: "not a JSON message with a type"))
                    continue
                }
                if !authed.isSet {
                    guard request.type == "auth", let key = request.key else {
                        try? await outbound.close(.unknown(UInt16(CloseCode.unauthorized)), reason: "authenticate first: {\"type\":\"auth\",\"key\":\"…\"}")
                        return
                    }
                    do {
                        try await authenticate(key)
                    } catch {
                        try? await outbound.close(.unknown(UInt16(CloseCode.unauthorized)), reason: "the API key is not valid")
                        return
                    }
                    authed.set()
                    reply(client, "authenticated", Authenticated(clientId: client.id))
                    continue
                }
                switch request.type {
                case "ping":
                    reply(client, "pong", Empty())
                case "subscribe", "unsubscribe":
                    let channels = request.channels ?? []
                    if let wrong = channels.first(where: { !Self.valid(channel: $0) }) {
                        reply(client, "error", Failure(message: "unknown channel '\(wrong.prefix(80))': signals, outcomes, alerts, health or klines:{market}:{SYMBOL}"))
                        continue
                    }
                    if request.type == "unsubscribe" {
                        client.with { $0.unsubscribe(channels) }
                        reply(client, "subscribed", Subscribed(channels: client.channels.sorted()))
                        continue
                    }
                    guard client.channels.union(channels).count <= Self.maxChannels else {
                        reply(client, "error", Failure(message: "at most \(Self.maxChannels) channels per connection"))
                        continue
                    }
                    var resume: StreamID?
                    if let text = request.resume {
                        guard let id = StreamID(text) else {
                            reply(client, "error", Failure(message: "resume must be a stream id such as 1767225600000-0"))
                            continue
                        }
                        resume = id
                    }
                    client.with { $0.subscribe(channels) }
                    reply(client, "subscribed", Subscribed(channels: client.channels.sorted()))
                    if let resume {
                        do {
                            try await hub.resume(client, from: resume)
                        } catch {
                            reply(client, "error", Failure(message: "the resume could not be read; subscribe again to retry"))
                        }
                    }
                case "auth":
                    reply(client, "authenticated", Authenticated(clientId: client.id))
                default:
                    reply(client, "error", Failure(message: "unknown type '\(request.type.prefix(40))': subscribe, unsubscribe, ping"))
                }
            }
        } catch {
            // The connection failed or closed: the handler ends.
        }
    }
}
