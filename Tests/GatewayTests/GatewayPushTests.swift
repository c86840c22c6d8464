import Contracts
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Gateway
import HTTPTypes
import Logging
import NIOWebSocket
import Redis
import Synchronization
import Testing
import TestSupport
import WSClient

/// One WebSocket client of a test: messages arrive in `received`; `send` writes; `close`
/// ends it and returns the server's close frame.
final class PushSession: Sendable {
    final class Log: Sendable {
        private let texts = Mutex<[String]>([])
        func append(_ text: String) { texts.withLock { $0.append(text) } }
        var all: [String] { texts.withLock { $0 } }
    }

    private let box = Log()
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<WebSocketCloseFrame?, any Error>

    init(url: String, headers: HTTPFields = [:]) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        var logger = Logger(label: "ws-test-client")
        logger.logLevel = .critical
        let box = self.box
        task = Task {
            try await WebSocketClient.connect(
                url: url, configuration: WebSocketClientConfiguration(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: logger
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { box.append(text) }
                    }
                    group.cancelAll()
                }
            }
        }
    }

    var received: [[String: Any]] { box.all.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] } }

    func messages(_ type: String) -> [[String: Any]] { received.filter { $0["type"] as? String == type }.compactMap { $0["data"] as? [String: Any] } }

    func send(_ text: String) { outgoing.yield(text) }

    /// Waits until `count` messages of `type` have arrived.
    func wait(for type: String, count: Int = 1) async -> Bool {
        await waitUntil(timeout: .seconds(60)) { self.messages(type).count >= count }
    }

    /// Closes from the client side (when the server has not) and returns the server's close frame.
    func close() async -> WebSocketCloseFrame? {
        outgoing.finish()
        return try? await task.value
    }

    /// The close frame once the server closes (nil if the connection failed).
    func closed() async -> WebSocketCloseFrame? {
        try? await task.value
    }
}

/// The WebSocket push channel against real Redis and PostgreSQL: authentication, order, resume
/// without loss, gaps, klines, slow consumers.
@Suite struct GatewayPushTests {
    static func event(_ id: Int64, _ kind: SignalEvent.Kind, symbol: String = "BTCUSDT") -> SignalEvent {
        SignalEvent(
            kind: kind, id: id, market: .futures, symbol: symbol, direction: "long", moment: 1_767_225_600_000 + id * 60_000,
            entry: 100, stop: 98, target1: 103, target2: 106, expiresAt: 1_767_312_000_000, probability: 0.7, confidence: 0.6,
            heads: ["technical", "volume"], status: kind == .opened ? "open" : "won", exitPrice: kind == .opened ? nil : 103,
            returnR: kind == .opened ? nil : 1.5, resolvedAt: kind == .opened ? nil : 1_767_240_000_000)
    }

    static func url(_ gateway: GatewayHarness) -> String { gateway.base.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/ws" }

    static func publish(_ gateway: GatewayHarness, _ events: [SignalEvent]) async throws -> [String] {
        let keys = RedisKeys(prefix: gateway.stores.prefix)
        var ids: [String] = []
        for event in events { ids.append(try await gateway.stores.redis.xadd(keys.signals, fields: event.fields)) }
        return ids
    }

    @Test func signalsArriveInOrderAndAResumeAfterADisconnectMissesNothing() async throws {
        try await GatewayHarness.with("gw_push_resume") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let first = PushSession(url: Self.url(gateway), headers: [.authorization: "Bearer \(key.text)"])
            #expect(await first.wait(for: "authenticated"))
            first.send(#"{"type":"subscribe","channels":["signals","outcomes"]}"#)
            #expect(await first.wait(for: "subscribed"))
            #expect(first.messages("subscribed").first?["channels"] as? [String] == ["outcomes", "signals"])

            let ids = try await Self.publish(gateway, [Self.event(1, .opened), Self.event(2, .opened), Self.event(1, .resolved)])
            #expect(await first.wait(for: "signal", count: 2))
            #expect(await first.wait(for: "outcome"))
            let live = first.received.filter { ["signal", "outcome"].contains($0["type"] as? String) }
            #expect(live.compactMap { ($0["data"] as? [String: Any])?["stream_id"] as? String } == ids, "in stream order")
            let outcome = try #require(first.messages("outcome").first)
            #expect(outcome["id"] as? Int == 1 && outcome["status"] as? String == "won" && outcome["return_r"] as? Double == 1.5)
            #expect(first.messages("signal").first?["exit_price"] is NSNull)
            _ = await first.close()

            // Missed while away: delivered on resume, in order, before anything live, no repeats.
            let missed = try await Self.publish(gateway, [Self.event(3, .opened), Self.event(2, .resolved)])
            let second = PushSession(url: Self.url(gateway))
            second.send(#"{"type":"auth","key":"\#(key.text)"}"#)
            #expect(await second.wait(for: "authenticated"))
            second.send(#"{"type":"subscribe","channels":["signals","outcomes"],"resume":"\#(ids[2])"}"#)
            #expect(await second.wait(for: "outcome"))
            let after = try await Self.publish(gateway, [Self.event(4, .opened)])
            #expect(await second.wait(for: "signal", count: 2))
            try await Task.sleep(for: .milliseconds(300))
            let streamIDs = second.received.compactMap { ($0["data"] as? [String: Any])?["stream_id"] as? String }
            #expect(streamIDs == missed + after)
            #expect(second.messages("gap").isEmpty)
            _ = await second.close()
        }
    }

    @Test func aResumeOlderThanTheStreamGetsAGapThenEverythingKept() async throws {
        try await GatewayHarness.with("gw_push_gap") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let ids = try await Self.publish(gateway, (1...5).map { Self.event(Int64($0), .opened) })
            // Exactly (MAXLEN without ~): the first three entries go.
            _ = try await gateway.stores.redis.send("XTRIM", RedisKeys(prefix: gateway.stores.prefix).signals, "MAXLEN", "2")
            let session = PushSession(url: Self.url(gateway), headers: [HTTPField.Name("X-API-Key")!: key.text])
            session.send(#"{"type":"subscribe","channels":["signals"],"resume":"\#(ids[0])"}"#)
            #expect(await session.wait(for: "signal", count: 2))
            let gap = try #require(session.messages("gap").first)
            #expect(gap["requested"] as? String == ids[0] && gap["first"] as? String == ids[3])
            let types = session.received.compactMap { $0["type"] as? String }.filter { $0 != "authenticated" && $0 != "subscribed" }
            #expect(types == ["gap", "signal", "signal"], "the gap comes first")
            #expect(session.messages("signal").compactMap { $0["stream_id"] as? String } == Array(ids[3...]))
            _ = await session.close()
        }
    }

    @Test func keysAreCheckedBeforeOrRightAfterTheUpgrade() async throws {
        try await GatewayHarness.with("gw_push_auth") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            // A wrong key in a header: the upgrade is refused.
            let refused = PushSession(url: Self.url(gateway), headers: [.authorization: "Bearer \(APIKey.generate().text)"])
            #expect(await refused.closed() == nil && refused.received.isEmpty)
            // A wrong key in the first message: closed with 4001.
            let wrong = PushSession(url: Self.url(gateway))
            wrong.send(#"{"type":"auth","key":"\#(APIKey.generate().text)"}"#)
            #expect(await wrong.closed()?.closeCode == .unknown(4001))
            // Anything else first: closed with 4001.
            let early = PushSession(url: Self.url(gateway))
            early.send(#"{"type":"subscribe","channels":["signals"]}"#)
            #expect(await early.closed()?.closeCode == .unknown(4001))
            // The browser way: the key among the offered subprotocols.
            let browser = PushSession(url: Self.url(gateway), headers: [.secWebSocketProtocol: "alphapulse.v1, \(key.text)"])
            #expect(await browser.wait(for: "authenticated"))
            browser.send(#"{"type":"subscribe","channels":["nonsense"]}"#)
            browser.send("not json")
            browser.send(#"{"type":"ping"}"#)
            #expect(await browser.wait(for: "pong"))
            #expect(browser.messages("error").count == 2)
            _ = await browser.close()
        }
    }

    @Test func aClientThatSendsNoKeyIsClosedAfterTheAuthTimeout() async throws {
        try await GatewayHarness.with("gw_push_auth_timeout") { gateway in
            let silent = PushSession(url: Self.url(gateway))
            let started = ContinuousClock.now
            #expect(await silent.closed()?.closeCode == .unknown(4001))
            #expect(ContinuousClock.now - started >= PushRoutes.authTimeout, "not before the timeout")
            #expect(silent.received.isEmpty)
        }
    }

    @Test func committedAndOpenKlinesReachTheirSubscribers() async throws {
        try await GatewayHarness.with("gw_push_klines") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            let session = PushSession(url: Self.url(gateway), headers: [HTTPField.Name("X-API-Key")!: key.text])
            session.send(#"{"type":"subscribe","channels":["klines:futures:BTCUSDT"]}"#)
            #expect(await session.wait(for: "subscribed"))
            let open: Int64 = 1_767_225_600_000
            _ = try await gateway.stores.pool.execute("""
                INSERT INTO candles (market, symbol, interval, open_time, close_time, open, high, low, close, volume, quote_volume, trades,
                                     taker_buy_volume, taker_buy_quote_volume)
                VALUES ('futures', 'BTCUSDT', '1m', timestamptz 'epoch' + \(open) * interval '1 millisecond',
                        timestamptz 'epoch' + \(open + 59_999) * interval '1 millisecond', 100.5, 101, 99.75, 100.25, 12, 1200, 40, 6, 600),
                       ('futures', 'ETHUSDT', '1m', timestamptz 'epoch' + \(open) * interval '1 millisecond',
                        timestamptz 'epoch' + \(open + 59_999) * interval '1 millisecond', 1, 1, 1, 1, 1, 1, 1, 1, 1)
                """)
            for symbol in ["ETHUSDT", "BTCUSDT"] {
                _ = try await gateway.stores.redis.xadd(keys.candlesStored, fields: StoredCandles(market: .futures, symbol: symbol, from: open, to: open, count: 1).fields)
            }
            #expect(await session.wait(for: "kline"))
            let closed = try #require(session.messages("kline").first)
            #expect(closed["closed"] as? Bool == true && closed["symbol"] as? String == "BTCUSDT" && closed["close"] as? String == "100.25")
            #expect(closed["open_time"] as? Int64 == open)

            // The open kline, from Redis, once per change.
            let row = CandleRow(
                market: .futures, symbol: "BTCUSDT", interval: .oneMinute, openTime: open + 60_000, closeTime: open + 119_999, open: "100.25",
                high: "100.5", low: "100", close: "100.4", volume: "3", quoteVolume: "300", trades: 9, takerBuyVolume: "1", takerBuyQuoteVolume: "100",
                source: .ws)
            _ = try await gateway.stores.redis.hset(keys.kline(.futures, "BTCUSDT"), fields: LatestKline(row: row, isClosed: false, eventTime: open + 70_000).fields)
            #expect(await session.wait(for: "kline", count: 2))
            try await Task.sleep(for: .milliseconds(2_500))
            let klines = session.messages("kline")
            #expect(klines.count == 2, "an unchanged open kline is not sent again")
            #expect(klines.last?["closed"] as? Bool == false && klines.last?["close"] as? String == "100.4")
            #expect(!klines.contains { $0["symbol"] as? String == "ETHUSDT" }, "only subscribed symbols")
            _ = await session.close()
        }
    }

    /// A client that stops reading is closed once more than the bound waits, instead of being
    /// buffered without limit; the gateway keeps serving others.
    @Test func aSlowConsumerIsClosed() async throws {
        try await GatewayHarness.with("gw_push_slow", settings: ["gateway.ws_queue_messages": "10"]) { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let port = try #require(Int(gateway.base.split(separator: ":").last ?? ""))
            let socket = try BlockingSocket(port: port)
            try socket.write(
                "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(key.text)\r\n\r\n")
            #expect(try await socket.readHead().hasPrefix("HTTP/1.1 101"))
            // Subscribe (a masked client frame), then never read again.
            try socket.writeMaskedText(#"{"type":"subscribe","channels":["signals"]}"#)
            try await Task.sleep(for: .milliseconds(500))
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            for batch in 0..<30 {
                let commands: [[RedisArgument]] = (0..<1_000).map { index in
                    ["XADD", RedisArgument(keys.signals), "*"] + Self.event(Int64(batch * 1_000 + index), .opened).fields.flatMap { [RedisArgument($0.0), RedisArgument($0.1)] }
                }
                _ = try await gateway.stores.redis.pipeline(commands: commands)
                if await slowConsumers(gateway) > 0 { break }
            }
            #expect(await waitUntil(timeout: .seconds(60)) { await slowConsumers(gateway) > 0 })
            socket.close()
            // Others are still served.
            let other = PushSession(url: Self.url(gateway), headers: [HTTPField.Name("X-API-Key")!: key.text])
            other.send(#"{"type":"ping"}"#)
            #expect(await other.wait(for: "pong"))
            _ = await other.close()
        }
    }

    func slowConsumers(_ gateway: GatewayHarness) async -> Int {
        guard let metrics = try? await gateway.call("/metrics", headers: [:]) else { return 0 }
        let text = String(decoding: metrics.body, as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix("alphapulse_gateway_ws_slow_consumers ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
}

/// The queue's rules without a socket: the bound, catch-up order, no repeats.
@Suite struct PushQueueTests {
    @Test func pastTheBoundTheClientIsSlowAndNothingMoreIsQueued() {
        var queue = PushQueue(capacity: 3)
        queue.subscribe(["signals"])
        for n in 0..<3 {
            let queued = queue.enqueue("m\(n)", channel: "signals")
            #expect(queued)
        }
        let fourth = queue.enqueue("m3", channel: "signals")
        #expect(!fourth && queue.slow)
        let drained = queue.drain()
        #expect(drained == ["m0", "m1", "m2"])
        let after = queue.enqueue("m4", channel: nil)
        #expect(!after, "a slow client gets nothing more")
    }

    @Test func liveEventsWaitForTheCatchUpAndNoneRepeats() throws {
        var queue = PushQueue(capacity: 100)
        queue.subscribe(["signals"])
        let id = { (n: UInt64) in StreamID("\(n)-0")! }
        queue.startCatchUp()
        queue.live(signal: id(5), channel: "signals", message: "live5")
        queue.live(signal: id(6), channel: "signals", message: "live6")
        queue.caughtUp(signal: id(4), channel: "signals", message: "old4")
        queue.caughtUp(signal: id(5), channel: "signals", message: "old5")
        let caught = queue.drain()
        #expect(caught == ["old4", "old5"], "nothing live during the catch-up")
        queue.finishCatchUp()
        let released = queue.drain()
        #expect(released == ["live6"], "5 was sent by the catch-up")
        queue.live(signal: id(6), channel: "signals", message: "again6")
        queue.live(signal: id(7), channel: "outcomes", message: "unsubscribed7")
        queue.live(signal: id(8), channel: "signals", message: "live8")
        let last = queue.drain()
        #expect(last == ["live8"])
    }

    @Test func streamIDsOrderAsRedisDoes() {
        #expect(StreamID("1-2")! < StreamID("1-10")!)
        #expect(StreamID("2-0")! > StreamID("1-99")!)
        #expect(StreamID("5") == StreamID("5-0"))
        #expect(StreamID("x-1") == nil && StreamID("1-y") == nil)
    }
}

/// A blocking loopback TCP client for a WebSocket peer that stops reading.
final class BlockingSocket {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        // A small receive buffer, so the gateway's writes back up soon.
        var size: Int32 = 4_096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        // Its writes are small; should one still block, it fails after 10 s instead of holding a
        // thread of the cooperative pool.
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
    }

    /// Reads byte by byte up to the end of the HTTP head, within `timeout`. It never blocks a
    /// thread: the gateway under test runs on the same cooperative pool, which on two cores has
    /// two threads, so a blocking read here could wait on a server it keeps from running.
    func readHead(timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
            if count == 1 {
                head.append(byte)
            } else if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard ContinuousClock.now < deadline else { throw POSIXError(.ETIMEDOUT) }
                try await Task.sleep(for: .milliseconds(10))
            } else {
                throw POSIXError(.ECONNRESET)
            }
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// One masked text frame, as a client must send.
    func writeMaskedText(_ text: String) throws {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [1, 2, 3, 4]
        try write([0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
    }

    private var isClosed = false

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    deinit { close() }
}
