import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
@testable import Replay
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport
import WSClient
#if canImport(Glibc)
import Glibc
#endif

/// A replay server with only the WebSocket routes and controls, on a free loopback port.
struct WSHarness: Sendable {
    let port: Int
    let hub: StreamHub
    let state: ReplayState

    var base: String { "ws://127.0.0.1:\(port)" }

    /// Runs `body` against a fresh server whose clock starts mid-minute, six hours into the fixture.
    static func run(
        options: ReplayOptions = .init(), speed: Double = 600, _ body: @Sendable (WSHarness) async throws -> Void
    ) async throws {
        let data = try await SharedFixture.futures()
        try await runWith(data: data, options: options, speed: speed, body)
    }

    /// Runs `body` against a fresh server over `data` whose clock starts mid-minute, six hours in.
    static func runWith(
        data: MarketData, options: ReplayOptions = .init(), speed: Double = 600, _ body: @Sendable (WSHarness) async throws -> Void
    ) async throws {
        let start = try #require(data.firstOpenTime) + 6 * 3_600_000 + 20_000
        var logger = Logger(label: "replay-ws-test")
        logger.logLevel = .warning
        let state = ReplayState(clock: ReplayClock(start: start, speed: speed), spot: nil, futures: data, options: options, logger: logger)
        let router = Router()
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        let hub = WebSocketRoutes.register(on: webSocketRouter, controls: router, state: state)
        // Port 0, the port read back once it listens: a port picked free beforehand could be
        // taken by a concurrent test before the bind, and the wait below would never end.
        let (running, signal) = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter, configuration: WebSocketRoutes.serverConfiguration()),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in signal.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        var configuration = ServiceGroupConfiguration(services: [.init(service: application)], gracefulShutdownSignals: [], logger: logger)
        // A connection still open at the end cannot hold the test: it is cancelled after 10 s.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        configuration.maximumCancellationDuration = .seconds(10)
        let services = ServiceGroup(configuration: configuration)
        try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            // Listening, or the server's failure (which ends the wait instead of leaving it forever).
            group.addTask {
                for await port in running { return port }
                return nil
            }
            guard let first = try await group.next(), let port = first, port > 0 else {
                throw POSIXError(.EADDRNOTAVAIL)
            }
            defer {
                hub.stop()
                hub.dropAll()
                Task { await services.triggerGracefulShutdown() }
            }
            try await body(WSHarness(port: port, hub: hub, state: state))
        }
    }
}

/// What a WSClient connection received before it ended.
struct Received: Sendable {
    var messages: [String]
    var close: WebSocketCloseFrame?
}

/// Text messages a test client has received so far.
final class MessageBox: Sendable {
    private let messages = Mutex<[String]>([])
    func append(_ text: String) { messages.withLock { $0.append(text) } }
    var all: [String] { messages.withLock { $0 } }
}

/// Connects with WSClient, sends `send`, collects text messages for `seconds` (or until the server
/// closes) and returns them. The whole exchange, close handshake included, must end within
/// `seconds + 15`: otherwise the test records an issue instead of hanging the run.
func collect(_ url: String, seconds: Double, send: [String] = [], sendSpacing: Double = 0.25, onMessage: @escaping @Sendable (String) async -> Void = { _ in })
    async throws -> Received
{
    let box = MessageBox()
    var logger = Logger(label: "ws-test-client")
    logger.logLevel = .warning
    let client = Task {
        try await WebSocketClient.connect(
            url: url, configuration: WebSocketClientConfiguration(maxFrameSize: 1 << 20), logger: logger
        ) { inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for request in send {
                        try await outbound.write(.text(request))
                        try await Task.sleep(for: .milliseconds(Int64(sendSpacing * 1000)))
                    }
                    try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                    try await outbound.close(.normalClosure, reason: nil)
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message {
                        box.append(text)
                        await onMessage(text)
                    }
                }
                group.cancelAll()
            }
        }
    }
    let watchdog = Task {
        try await Task.sleep(for: .milliseconds(Int64((seconds + 15) * 1000)))
        client.cancel()
    }
    defer { watchdog.cancel() }
    let close = try await client.value
    if watchdog.isCancelled == false, client.isCancelled {
        Issue.record("the WebSocket exchange with \(url) did not end within \(seconds + 15) s (close handshake never completed)")
    }
    return Received(messages: box.all, close: close)
}

func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// A blocking loopback TCP socket for what WSClient cannot do: plain HTTP requests, and a
/// WebSocket client that never answers pings.
final class RawSocket {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }
    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Reads more bytes; false on end of stream or timeout. It never blocks a thread: the
    /// server under test runs on the same cooperative pool (two threads on two cores), so a
    /// blocking wait here would hold up the very answer it waits for.
    private func fill(timeout: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, 0) <= 0 {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(10))) != nil else { return false }
            poller.revents = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Reads an HTTP response head (and body by Content-Length): status and body text.
    func readHTTPResponse(timeout: Double = 5) async -> (status: Int, body: String)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.indices.dropLast(3).first { Array(buffer[$0..<$0 + 4]) == separator }
            if headEnd == nil, await !fill(timeout: timeout) { return nil }
        }
        guard let end = headEnd else { return nil }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffer.count < length { if await !fill(timeout: timeout) { break } }
        let body = String(decoding: buffer.prefix(length), as: UTF8.self)
        buffer.removeFirst(min(length, buffer.count))
        return (status, body)
    }

    /// Reads one (unmasked, server-sent) WebSocket frame; nil when the connection ends or times out.
    func readFrame(timeout: Double) async -> (opcode: UInt8, payload: [UInt8])? {
        while true {
            if buffer.count >= 2 {
                let opcode = buffer[0] & 0x0F
                var length = Int(buffer[1] & 0x7F)
                var offset = 2
                if length == 126, buffer.count >= 4 {
                    length = Int(buffer[2]) << 8 | Int(buffer[3])
                    offset = 4
                } else if length == 127, buffer.count >= 10 {
                    length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
                    offset = 10
                }
                if length < 126 || offset > 2, buffer.count >= offset + length {
                    let payload = Array(buffer[offset..<offset + length])
                    buffer.removeFirst(offset + length)
                    return (opcode, payload)
                }
            }
            guard await fill(timeout: timeout) else { return nil }
        }
    }

    /// Opens a WebSocket by hand; true when the server answered 101.
    static func webSocket(port: Int, path: String) async throws -> RawSocket? {
        let socket = try RawSocket(port: port)
        socket.send(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        return await socket.readHTTPResponse()?.status == 101 ? socket : nil
    }

    /// One plain HTTP/1.1 request on a fresh connection; the answer may take a minute (CI
    /// starves the parallel suite for half a minute at times).
    static func http(port: Int, _ method: String, _ path: String, body: String = "") async throws -> (status: Int, body: String)? {
        let socket = try RawSocket(port: port)
        socket.send(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(body)"
        )
        return await socket.readHTTPResponse(timeout: 60)
    }
}
