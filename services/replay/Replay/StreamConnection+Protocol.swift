import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

extension StreamConnection {
    /// Reads the client's requests (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY,
    /// GET_PROPERTY) and answers each with Binance's reply, until the client goes away.
    func readLoop(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, environment: Environment) async {
        do {
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if !observesControlFrames.load(ordering: .relaxed) { recordIncomingMessage() }
                guard closeRequest == nil else { continue }  // the send loop is closing the connection
                let text: String
                switch message {
                case .text(let string): text = string
                case .binary(let buffer): text = String(buffer: buffer)
                }
                let reply = handleRequest(text, nowMillis: environment.clock.nowMillis())
                while let until = stalled(at: .now) {
                    try await Task.sleep(until: min(until, .now + .milliseconds(50)), clock: .continuous)
                }
                try await outbound.write(.text(reply))
            }
        } catch {
            // Client gone, or the loop was cancelled because the server closes the connection.
        }
    }

    /// Binance's answer to one request text.
    func handleRequest(_ text: String, nowMillis: Int64) -> String {
        guard let value = try? JSONDecoder().decode(RequestValue.self, from: Data(text.utf8)) else {
            return Self.errorReply(code: 3, "Invalid JSON: expected value at line 1 column 1", id: "null")
        }
        guard case .object(let fields) = value else {
            return Self.errorReply(code: 2, "Invalid request: expected a JSON object", id: "null")
        }
        let id: String
        switch fields["id"] {
        case nil, .null?:
            id = "null"
        case .integer(let number)? where number >= 0 || market == .spot:
            id = String(number)
        case .string(let string)? where market == .spot && string.utf8.count <= 36
            && string.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }):
            id = Self.jsonString(string)
        default:
            return Self.errorReply(code: 2, "Invalid request: request ID must be an unsigned integer", id: "null")
        }
        guard let methodValue = fields["method"] else {
            return Self.errorReply(code: 2, "Invalid request: missing field `method`", id: id)
        }
        guard case .string(let method) = methodValue else {
            return Self.errorReply(code: 2, "Invalid request: method must be a string", id: id)
        }
        let params: [RequestValue]
        switch fields["params"] {
        case nil, .null?: params = []
        case .array(let array)?: params = array
        default: return Self.errorReply(code: 2, "Invalid request: params must be an array", id: id)
        }
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            var names: [StreamName] = []
            for param in params {
                guard case .string(let text) = param, let name = StreamName(text, market: market) else {
                    return Self.errorReply(code: 2, "Invalid request: invalid stream", id: id)
                }
                names.append(name)
            }
            if method == "SUBSCRIBE" {
                guard subscribe(names, nowMillis: nowMillis) else {
                    return Self.errorReply(code: 2, "Invalid request: too many streams (at most \(limits.maxStreams) per connection)", id: id)
                }
            } else {
                unsubscribe(names)
            }
            return #"{"result":null,"id":"# + id + "}"
        case "LIST_SUBSCRIPTIONS":
            let list = streams.map { Self.jsonString($0.description) }.joined(separator: ",")
            return #"{"result":["# + list + #"],"id":"# + id + "}"
        case "SET_PROPERTY", "GET_PROPERTY":
            return property(method: method, params: params, id: id)
        default:
            return Self.errorReply(
                code: 2,
                "Invalid request: unknown variant `\(method)`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`",
                id: id
            )
        }
    }

    private func property(method: String, params: [RequestValue], id: String) -> String {
        let expected = method == "SET_PROPERTY" ? 2 : 1
        guard params.count <= expected else { return Self.errorReply(code: 2, "Invalid request: too many parameters", id: id) }
        guard let first = params.first, case .string(let name) = first else {
            return Self.errorReply(code: 2, "Invalid request: property name must be a string", id: id)
        }
        guard name == "combined" else { return Self.errorReply(code: 0, "Unknown property", id: id) }
        if method == "GET_PROPERTY" {
            let combined = subscriptions.withLock { $0.combined }
            return #"{"result":"# + (combined ? "true" : "false") + #","id":"# + id + "}"
        }
        guard params.count == 2, case .bool(let value) = params[1] else {
            return Self.errorReply(code: 1, "Invalid value type: expected Boolean", id: id)
        }
        subscriptions.withLock { state in
            state.combined = value
            state.version += 1
        }
        return #"{"result":null,"id":"# + id + "}"
    }

    /// Adds streams; false (and nothing added) if the connection would exceed its stream limit.
    func subscribe(_ names: [StreamName], nowMillis: Int64) -> Bool {
        let minute = Self.minute(of: nowMillis)
        return subscriptions.withLock { state in
            let added = Set(names).filter { state.firstFinal[$0] == nil }
            guard state.streams.count + added.count <= limits.maxStreams else { return false }
            for name in names where state.firstFinal[name] == nil {
                state.streams.append(name)
                state.firstFinal[name] = minute
            }
            state.version += 1
            return true
        }
    }

    func unsubscribe(_ names: [StreamName]) {
        let removed = Set(names)
        subscriptions.withLock { state in
            state.streams.removeAll { removed.contains($0) }
            for name in removed { state.firstFinal[name] = nil }
            state.version += 1
        }
    }

    static func errorReply(code: Int, _ message: String, id: String) -> String {
        #"{"error":{"code":"# + String(code) + #","msg":"# + jsonString(message) + #"},"id":"# + id + "}"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: - Control frames

    /// Installs `FrameObserver` in the connection's pipeline so that pings and pongs count against
    /// the message rate and pongs can be matched to the server's pings. hummingbird-websocket
    /// answers and swallows control frames before the data handler sees them and exposes no
    /// channel to it, so the channel is read from its outbound writer by reflection; if that ever
    /// fails, the connection still works, counting data messages only and without pong timeouts.
    func installFrameObserver(outbound: WebSocketOutboundWriter, logger: Logger) async {
        guard let handler = Mirror(reflecting: outbound).descendant("handler"),
            let channel = Mirror(reflecting: handler).descendant("channel") as? any Channel
        else {
            logger.warning("WebSocket channel not reachable: pong timeouts are not enforced", metadata: ["ws.connection": "\(id)"])
            return
        }
        let connection = self
        do {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                let decoder = try pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                try pipeline.addHandler(FrameObserver(connection: connection), position: .after(decoder))
            }.get()
            liveness.withLock { $0.channel = channel }
            observesControlFrames.store(true, ordering: .relaxed)
        } catch {
            logger.warning("WebSocket frame observer not installed: pong timeouts are not enforced", metadata: ["ws.connection": "\(id)", "error": "\(error)"])
        }
    }
}

/// Sees every frame a client sends, before hummingbird-websocket handles it: counts messages
/// (data, ping and pong frames, as Binance counts them) and matches pongs to pings.
final class FrameObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let connection: StreamConnection

    init(connection: StreamConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .continuation, .connectionClose:
            break
        case .pong:
            connection.recordIncomingMessage()
            var payload = frame.unmaskedData
            connection.receivedPong(payload: payload.readableBytes == 8 ? payload.readInteger(as: UInt64.self) : nil)
        default:
            connection.recordIncomingMessage()
        }
        context.fireChannelRead(data)
    }
}

/// A JSON value of a client request (integers kept apart from booleans and fractions).
enum RequestValue: Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([RequestValue])
    case object([String: RequestValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([RequestValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: RequestValue].self))
        }
    }
}
