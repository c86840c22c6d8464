import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

extension StreamConnection {
    /// What the send loop reads from outside the connection.
    struct Environment: Sendable {
        let data: MarketData?
        let clock: ReplayClock
        let hub: StreamHub
        let logger: Logger
    }

    /// Sends the connection's frames until it is closed: every minute's final kline frame in
    /// order (none skipped, however fast the replay clock runs), kline updates every
    /// `klineUpdate` of real time, mark prices every second, pings every `pingInterval`; and ends
    /// the connection when its lifetime is over, a pong is overdue or a close was requested.
    func sendLoop(outbound: WebSocketOutboundWriter, environment: Environment) async {
        let wall = ContinuousClock()
        let start = wall.now
        let deadline = start + limits.lifetime
        var nextUpdate = start
        var nextMark = start
        var nextPing = start + limits.pingInterval
        var finalCursor = Self.minute(of: environment.clock.nowMillis())
        var sender = FrameSender(connection: self, outbound: outbound, environment: environment)
        var snapshot = Subscriptions(combined: false)
        snapshot.version = -1
        var pingCount: UInt64 = 0
        do {
            while !Task.isCancelled {
                let now = wall.now
                if let reason = closeRequest {
                    try await close(reason, outbound: outbound, logger: environment.logger)
                    return
                }
                if now >= deadline {
                    requestClose(.lifetime)
                    continue
                }
                if pongOverdue(at: now) {
                    requestClose(.pongTimeout, abrupt: true)
                    continue
                }
                if let until = stalled(at: now) {
                    try await Task.sleep(until: min(until, now + .milliseconds(50)), clock: wall)
                    if stalled(at: wall.now) == nil {
                        // Nothing was sent during the stall: the client sees a gap, as after a real one.
                        finalCursor = Self.minute(of: environment.clock.nowMillis())
                        nextUpdate = wall.now
                        nextMark = wall.now
                        nextPing = wall.now + limits.pingInterval
                    }
                    continue
                }
                subscriptions.withLock { current in
                    if current.version != snapshot.version { snapshot = current }
                }
                sender.combined = snapshot.combined
                let replayNow = environment.clock.nowMillis()
                let minute = Self.minute(of: replayNow)
                while finalCursor < minute {
                    try await sendFinals(minute: finalCursor, snapshot: snapshot, eventTime: replayNow, sender: &sender)
                    finalCursor += 60_000
                }
                if now >= nextUpdate {
                    for stream in snapshot.streams where stream.kind == .kline1m {
                        if let kline = environment.data?.currentKline(symbol: stream.symbol, now: replayNow) {
                            try await sender.emit(KlineFrame.kline(kline, stream: stream, eventTime: replayNow, combined: sender.combined))
                        }
                    }
                    nextUpdate = Self.advance(nextUpdate, by: limits.klineUpdate, now: now)
                }
                if market == .futures, now >= nextMark {
                    for stream in snapshot.streams where stream.kind == .markPrice1s {
                        if let index = environment.data?.premiumIndex(symbol: stream.symbol, now: replayNow) {
                            try await sender.emit(KlineFrame.markPrice(index, stream: stream, eventTime: replayNow, combined: sender.combined))
                        }
                    }
                    nextMark = Self.advance(nextMark, by: .seconds(1), now: now)
                }
                if now >= nextPing {
                    pingCount &+= 1
                    var payload = ByteBuffer()
                    payload.writeInteger(pingCount)
                    recordPing(payload: pingCount, at: wall.now)
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: payload)))
                    nextPing = Self.advance(nextPing, by: limits.pingInterval, now: now)
                }
                sender.flushCounts()
                var wake = min(nextUpdate, nextPing, deadline, wall.now + .milliseconds(50))
                if market == .futures { wake = min(wake, nextMark) }
                let untilClose = environment.clock.realSeconds(until: minute + 60_000)
                wake = min(wake, wall.now + .seconds(clamping: untilClose, to: 1) + .milliseconds(1))
                try await Task.sleep(until: wake, clock: wall)
            }
        } catch {
            // The channel closed under us (client gone or abrupt drop), or the loop was cancelled.
            sender.flushCounts()
        }
    }

    private func sendFinals(minute: Int64, snapshot: Subscriptions, eventTime: Int64, sender: inout FrameSender) async throws {
        for stream in snapshot.streams where stream.kind == .kline1m {
            guard let first = snapshot.firstFinal[stream], first <= minute,
                let kline = sender.environment.data?.closedKline(symbol: stream.symbol, openTime: minute)
            else { continue }
            try await sender.emitFinal(KlineFrame.kline(kline, stream: stream, eventTime: eventTime, combined: sender.combined), stream: stream)
        }
    }

    private func close(_ reason: CloseReason, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        logger.info("Closing WebSocket connection", metadata: ["ws.connection": "\(id)", "ws.reason": "\(reason.rawValue)"])
        let code: WebSocketErrorCode = reason == .messageRate ? .policyViolation : .goingAway
        try await outbound.close(code, reason: reason.rawValue)
    }

    /// The next deadline of a periodic task; a late loop skips missed periods instead of bursting.
    static func advance(_ deadline: ContinuousClock.Instant, by period: Duration, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let next = deadline + period
        return next > now ? next : now + period
    }
}

/// Writes data frames of one connection, applying its pending frame faults.
struct FrameSender {
    let connection: StreamConnection
    let outbound: WebSocketOutboundWriter
    let environment: StreamConnection.Environment
    var combined = false
    /// The last final kline frame of each stream (the out-of-order fault re-sends it later).
    private var lastFinal: [StreamName: String] = [:]
    private var unflushed = 0

    init(connection: StreamConnection, outbound: WebSocketOutboundWriter, environment: StreamConnection.Environment) {
        self.connection = connection
        self.outbound = outbound
        self.environment = environment
    }

    mutating func emit(_ frame: String) async throws {
        var text = frame
        if StreamConnection.takeOne(connection.pendingMalformed) {
            text = KlineFrame.malformed(frame)
            WebSocketFaults.injected(.malformed, connection: connection, logger: environment.logger)
        }
        try await outbound.write(.text(text))
        unflushed += 1
        if unflushed >= 256 { flushCounts() }
    }

    mutating func emitFinal(_ frame: String, stream: StreamName) async throws {
        try await emit(frame)
        if StreamConnection.takeOne(connection.pendingDuplicate) {
            WebSocketFaults.injected(.duplicateKline, connection: connection, logger: environment.logger)
            try await emit(frame)
        }
        if let older = lastFinal[stream], StreamConnection.takeOne(connection.pendingOutOfOrder) {
            WebSocketFaults.injected(.outOfOrderKline, connection: connection, logger: environment.logger)
            try await emit(older)
        }
        lastFinal[stream] = frame
    }

    mutating func flushCounts() {
        guard unflushed > 0 else { return }
        connection.framesSentCounter.add(unflushed, ordering: .relaxed)
        environment.hub.framesSentCounter.add(unflushed, ordering: .relaxed)
        unflushed = 0
    }
}
