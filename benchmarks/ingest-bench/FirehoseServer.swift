import BenchSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A Binance-compatible WebSocket endpoint that serves the `Firehose`: any path upgrades,
/// SUBSCRIBE/UNSUBSCRIBE are answered as Binance does, pings get pongs. Plain HTTP requests
/// get `[]` for a klines path (nothing to backfill) and 404 otherwise.
///
/// One event-loop thread serves every connection, so the firehose needs no locks.
final class FirehoseServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let loop: any EventLoop
    let firehose: NIOLoopBound<Firehose>
    let channel: any Channel
    let port: Int

    init() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        self.loop = loop
        let firehose = try await loop.submit { NIOLoopBound(Firehose(), eventLoop: loop) }.get()
        self.firehose = firehose
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20, automaticErrorHandling: true,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let writer = FirehoseWriter(firehose: firehose.value)
                    // First in the pipeline: the writer's pre-encoded frames bypass NIO's
                    // frame encoder, which only the reader's replies would need.
                    try channel.pipeline.syncOperations.addHandler(writer, position: .first)
                    try channel.pipeline.syncOperations.addHandler(FirehoseReader(writer: writer))
                }
            })
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let fallback = PlainHTTPHandler()
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.removeHandler(name: PlainHTTPHandler.name, promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(fallback, name: PlainHTTPHandler.name)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// Runs `body` on the firehose's event loop.
    func withFirehose<T: Sendable>(_ body: @escaping @Sendable (Firehose) -> T) async throws -> T {
        let firehose = self.firehose
        return try await loop.submit { body(firehose.value) }.get()
    }

    func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Writes the firehose's frames to one connection while its socket takes them.
final class FirehoseWriter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let firehose: Firehose
    private var context: ChannelHandlerContext?
    /// Subscribed streams: symbol index and whether it is the mark-price stream.
    private var streams: [(symbol: Int, mark: Bool)] = []
    private var cursor = 0
    private var round = 0
    private var retryScheduled = false

    init(firehose: Firehose) {
        self.firehose = firehose
    }

    var streamCount: Int { streams.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        firehose.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        firehose.unregister(self)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        firehose.unregister(self)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump()
        context.fireChannelWritabilityChanged()
    }

    /// Applies a SUBSCRIBE or UNSUBSCRIBE and answers it; unknown streams are ignored, as the
    /// benchmark only offers its own symbols.
    func change(subscribe: Bool, names: [String], id: Int) {
        let parsed: [(Int, Bool)] = names.compactMap { name in
            let parts = name.split(separator: "@", maxSplits: 1)
            guard parts.count == 2, let index = firehose.symbolIndex[String(parts[0])] else { return nil }
            switch parts[1] {
            case "kline_1m": return (index, false)
            case "markPrice@1s": return (index, true)
            default: return nil
            }
        }
        if subscribe {
            let existing = Set(streams.map { "\($0.symbol):\($0.mark)" })
            streams += parsed.filter { !existing.contains("\($0.0):\($0.1)") }.map { (symbol: $0.0, mark: $0.1) }
        } else {
            let removed = Set(parsed.map { "\($0.0):\($0.1)" })
            streams.removeAll { removed.contains("\($0.symbol):\($0.mark)") }
        }
        send(opcode: 0x1, payload: Array(#"{"result":null,"id":\#(id)}"#.utf8))
        pump()
    }

    func send(opcode: UInt8, payload: [UInt8]) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 10)
        FrameWriter.frame(opcode: opcode, payload: payload, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Writes batches of frames while the socket is writable and the firehose allows; yields
    /// to the event loop between bursts so replies and pings are still read.
    func pump() {
        guard let context, !streams.isEmpty else { return }
        var batches = 0
        while context.channel.isWritable {
            let count = firehose.take(64)
            if count == 0 {
                if firehose.sending { scheduleRetry(context) }
                break
            }
            var buffer = context.channel.allocator.buffer(capacity: count * 400)
            for _ in 0..<count { next(into: &buffer) }
            context.write(wrapOutboundOut(buffer), promise: nil)
            batches += 1
            if batches == 16 {
                context.flush()
                context.eventLoop.assumeIsolated().execute { self.pump() }
                return
            }
        }
        context.flush()
    }

    private func scheduleRetry(_ context: ChannelHandlerContext) {
        guard !retryScheduled else { return }
        retryScheduled = true
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) {
            self.retryScheduled = false
            self.pump()
        }
    }

    private func next(into buffer: inout ByteBuffer) {
        while true {
            if cursor >= streams.count {
                cursor = 0
                round += 1
            }
            let stream = streams[cursor]
            cursor += 1
            if !stream.mark {
                firehose.writeKline(stream.symbol, into: &buffer)
                return
            }
            if round % 4 == 0 {
                firehose.writeMark(stream.symbol, into: &buffer)
                return
            }
        }
    }
}

/// Reads the client's frames: subscription requests, pings and the close handshake.
final class FirehoseReader: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    private let writer: FirehoseWriter

    init(writer: FirehoseWriter) {
        self.writer = writer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        let bytes = payload.readBytes(length: payload.readableBytes) ?? []
        switch frame.opcode {
        case .text:
            guard let request = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let method = request["method"] as? String, let id = request["id"] as? Int
            else { return }
            let names = request["params"] as? [String] ?? []
            switch method {
            case "SUBSCRIBE": writer.change(subscribe: true, names: names, id: id)
            case "UNSUBSCRIBE": writer.change(subscribe: false, names: names, id: id)
            default: writer.send(opcode: 0x1, payload: Array(#"{"result":null,"id":\#(id)}"#.utf8))
            }
        case .ping:
            writer.send(opcode: 0xA, payload: bytes)
        case .connectionClose:
            writer.send(opcode: 0x8, payload: Array(bytes.prefix(2)))
            context.close(promise: nil)
        default:
            break
        }
    }
}

/// Answers plain HTTP requests (the ingest's REST backfill): an empty kline list, else 404.
final class PlainHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let name = "plain-http"

    private var uri = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
        case .body:
            break
        case .end:
            let path = uri.split(separator: "?").first.map(String.init) ?? uri
            let found = path.hasSuffix("/klines")
            let body = found ? "[]" : #"{"code":-1,"msg":"not served by the benchmark"}"#
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
