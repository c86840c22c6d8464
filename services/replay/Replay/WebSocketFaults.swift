import Foundation
import Hummingbird
import Logging
import Metrics

/// WebSocket fault injection: the control endpoints, and the log line and counter
/// (`alphapulse.replay.faults`, dimension `kind`) every fault leaves behind.
public enum WebSocketFaults {
    public enum Kind: String, Sendable, CaseIterable {
        case dropConnections = "drop-connections"
        case dropEvery = "drop-every"
        case stall
        case malformed
        case duplicateKline = "duplicate-kline"
        case outOfOrderKline = "out-of-order-kline"
    }

    /// Logs and counts one fault.
    static func record(_ kind: Kind, logger: Logger, metadata: Logger.Metadata = [:]) {
        var metadata = metadata
        metadata["fault.kind"] = "\(kind.rawValue)"
        logger.info("Injected WebSocket fault", metadata: metadata)
        Counter(label: "alphapulse.replay.faults", dimensions: [("kind", kind.rawValue)]).increment()
    }

    /// Logs and counts a frame fault as it reaches a connection.
    static func injected(_ kind: Kind, connection: StreamConnection, logger: Logger) {
        record(kind, logger: logger, metadata: ["ws.connection": "\(connection.id)"])
    }

    struct Seconds: Decodable { var seconds: Double? }
    struct Stall: Decodable {
        var seconds: Double?
        var connections: Int?
    }
    struct Count: Decodable { var count: Int? }

    /// Registers the WebSocket control endpoints (POST, JSON body; an empty body takes the defaults):
    /// - `/_replay/drop-connections` — drop every connection at once → `{"dropped":N}`
    /// - `/_replay/drop-every {"seconds":5}` — drop all connections every 5 s (at most 86400); 0 stops it
    /// - `/_replay/stall {"seconds":30,"connections":1}` — the oldest N connections (all when
    ///   omitted) stay open but send nothing, not even pings, for 30 s; what would have been sent
    ///   meanwhile is skipped
    /// - `/_replay/malformed {"count":1}` — the next data frame of each connection is malformed JSON
    /// - `/_replay/duplicate-kline {"count":1}` — the next final kline frame is sent twice
    /// - `/_replay/out-of-order-kline {"count":1}` — an older final kline is re-sent after a newer one
    /// - `GET /_replay/ws-status` — live connections (market, streams, connected since, frames sent)
    static func registerControls(on router: Router<BasicRequestContext>, hub: StreamHub) {
        router.post("/_replay/drop-connections") { _, _ in
            json(["dropped": hub.dropAll()])
        }
        router.post("/_replay/drop-every") { request, context in
            let body = try await decode(Seconds.self, request, context)
            let seconds = body?.seconds ?? 0
            guard seconds.isFinite, seconds >= 0, seconds <= 86_400 else {
                throw HTTPError(.badRequest, message: "seconds must be between 0 and 86400")
            }
            hub.dropEvery(seconds: seconds)
            return json(["seconds": seconds])
        }
        router.post("/_replay/stall") { request, context in
            let body = try await decode(Stall.self, request, context)
            let seconds = body?.seconds ?? 30
            guard seconds.isFinite, seconds >= 0, seconds <= 86_400 else {
                throw HTTPError(.badRequest, message: "seconds must be between 0 and 86400")
            }
            if let count = body?.connections, count < 0 { throw HTTPError(.badRequest, message: "connections must be >= 0") }
            return json(["stalled": hub.stall(seconds: seconds, connections: body?.connections)])
        }
        let frameFaults: [(String, @Sendable (Int) -> Int)] = [
            ("/_replay/malformed", { hub.malformedFrames(count: $0) }),
            ("/_replay/duplicate-kline", { hub.duplicateKlines(count: $0) }),
            ("/_replay/out-of-order-kline", { hub.outOfOrderKlines(count: $0) }),
        ]
        for (path, apply) in frameFaults {
            router.post(RouterPath(path)) { request, context in
                let count = try await decode(Count.self, request, context)?.count ?? 1
                guard (0...1_000_000).contains(count) else { throw HTTPError(.badRequest, message: "count must be between 0 and 1000000") }
                return json(["connections": apply(count)])
            }
        }
        router.get("/_replay/ws-status") { _, _ in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try response(encoder.encode(hub.status()))
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: BasicRequestContext) async throws -> T? {
        var request = request
        let body = try await request.collectBody(upTo: 65_536)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, message: "invalid JSON body")
        }
    }

    private static func json(_ fields: [String: Double]) -> Response {
        response((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    private static func json(_ fields: [String: Int]) -> Response {
        response((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    private static func response(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
