import Foundation
import HummingbirdWebSocket
import Logging
import Synchronization

/// The registry of live WebSocket connections: counts for status and benchmarks, and the
/// WebSocket faults, applied to every connection (or the oldest few) at once.
public final class StreamHub: Sendable {
    let state: ReplayState
    private let live = Mutex<[Int: StreamConnection]>([:])
    private let nextID = Atomic<Int>(1)
    let framesSentCounter = Atomic<Int>(0)
    private let acceptedCounter = Atomic<Int>(0)
    private let dropTimer = Mutex<Task<Void, Never>?>(nil)

    public init(state: ReplayState) {
        self.state = state
    }

    /// Live connections, oldest first.
    public var connections: [StreamConnection] {
        live.withLock { $0.values.sorted { $0.id < $1.id } }
    }
    public var connectionCount: Int { live.withLock { $0.count } }
    /// Streams subscribed over all live connections.
    public var streamCount: Int { connections.reduce(0) { $0 + $1.streams.count } }
    /// Data frames sent since the server started, over all connections.
    public var framesSent: Int { framesSentCounter.load(ordering: .relaxed) }
    /// Connections accepted since the server started.
    public var connectionsAccepted: Int { acceptedCounter.load(ordering: .relaxed) }

    /// Runs one upgraded connection until it ends.
    func serve(
        market: ReplayMarket, path: String, streams: [StreamName], combined: Bool,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger
    ) async {
        let connection = StreamConnection(
            id: nextID.add(1, ordering: .relaxed).oldValue, market: market, path: path, streams: streams, combined: combined,
            options: state.options, nowMillis: state.clock.nowMillis()
        )
        live.withLock { $0[connection.id] = connection }
        acceptedCounter.add(1, ordering: .relaxed)
        defer { live.withLock { $0[connection.id] = nil } }
        state.logger.debug(
            "WebSocket connection opened",
            metadata: ["ws.connection": "\(connection.id)", "ws.market": "\(market.rawValue)", "ws.path": "\(path)", "ws.streams": "\(streams.count)"]
        )
        await connection.installFrameObserver(outbound: outbound, logger: state.logger)
        let environment = StreamConnection.Environment(data: state.data(market), clock: state.clock, hub: self, logger: state.logger)
        // The two loops run unstructured: when one ends (the client closed, or the server closes
        // the connection), the other is cancelled and given a moment — but the handler returns
        // regardless, so the close handshake completes even if a write is parked on backpressure.
        let finished = AsyncStream<Void>.makeStream()
        let sender = Task {
            await connection.sendLoop(outbound: outbound, environment: environment)
            finished.continuation.yield()
        }
        let reader = Task {
            await connection.readLoop(inbound: inbound, outbound: outbound, environment: environment)
            finished.continuation.yield()
        }
        var ended = finished.stream.makeAsyncIterator()
        await ended.next()
        sender.cancel()
        reader.cancel()
        let grace = Task {
            try? await Task.sleep(for: .seconds(2))
            finished.continuation.yield()
        }
        await ended.next()
        grace.cancel()
        finished.continuation.finish()
        state.logger.debug("WebSocket connection closed", metadata: ["ws.connection": "\(connection.id)", "ws.frames": "\(connection.framesSent)"])
    }

    // MARK: - Faults

    /// Drops every live connection at once (the TCP connection is closed without a close
    /// handshake, as when a network path fails). Returns how many were dropped.
    @discardableResult
    public func dropAll() -> Int {
        let all = connections
        for connection in all { connection.requestClose(.dropped, abrupt: true) }
        WebSocketFaults.record(.dropConnections, logger: state.logger, metadata: ["ws.connections": "\(all.count)"])
        return all.count
    }

    /// Drops every connection every `seconds` of real time from now on; 0 (or less) stops it.
    public func dropEvery(seconds: Double) {
        let task: Task<Void, Never>? =
            if seconds > 0, seconds.isFinite {
                Task { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(clamping: seconds))
                        guard !Task.isCancelled, let self else { return }
                        self.dropAll()
                    }
                }
            } else {
                nil
            }
        dropTimer.withLock { current in
            current?.cancel()
            current = task
        }
        WebSocketFaults.record(.dropEvery, logger: state.logger, metadata: ["fault.seconds": "\(seconds)"])
    }

    /// Stops periodic faults (call on shutdown).
    public func stop() {
        dropTimer.withLock { current in
            current?.cancel()
            current = nil
        }
    }

    /// Silences the oldest `connections` connections (all when nil) for `seconds` of real time:
    /// they stay open but send nothing, not even pings. Returns how many were stalled.
    @discardableResult
    public func stall(seconds: Double, connections count: Int? = nil) -> Int {
        let targets = Array(connections.prefix(count ?? Int.max))
        let until = ContinuousClock.now + .seconds(clamping: seconds)
        for connection in targets { connection.stall(until: until) }
        WebSocketFaults.record(.stall, logger: state.logger, metadata: ["ws.connections": "\(targets.count)", "fault.seconds": "\(seconds)"])
        return targets.count
    }

    /// The next `count` data frames of every live connection are sent as malformed JSON.
    @discardableResult
    public func malformedFrames(count: Int) -> Int {
        schedule(.malformed, count: count) { $0.pendingMalformed.add(count, ordering: .relaxed) }
    }

    /// The next `count` final kline frames of every live connection are sent twice.
    @discardableResult
    public func duplicateKlines(count: Int) -> Int {
        schedule(.duplicateKline, count: count) { $0.pendingDuplicate.add(count, ordering: .relaxed) }
    }

    /// After each of the next `count` final kline frames of every live connection, the previous
    /// final frame of the same stream is sent again (an older kline after a newer one).
    @discardableResult
    public func outOfOrderKlines(count: Int) -> Int {
        schedule(.outOfOrderKline, count: count) { $0.pendingOutOfOrder.add(count, ordering: .relaxed) }
    }

    private func schedule(_ kind: WebSocketFaults.Kind, count: Int, apply: (StreamConnection) -> Void) -> Int {
        let all = connections
        guard count > 0 else { return 0 }
        for connection in all { apply(connection) }
        state.logger.info(
            "WebSocket fault scheduled",
            metadata: ["fault.kind": "\(kind.rawValue)", "fault.count": "\(count)", "ws.connections": "\(all.count)"]
        )
        return all.count
    }

    // MARK: - Status

    /// One connection as GET /_replay/ws-status shows it.
    public struct ConnectionStatus: Codable, Sendable {
        public var id: Int
        public var market: String
        public var path: String
        public var streams: [String]
        /// Wall-clock Unix milliseconds.
        public var connectedSince: Int64
        public var framesSent: Int
    }

    public struct Status: Codable, Sendable {
        public var connections: [ConnectionStatus]
        public var connectionCount: Int
        public var streamCount: Int
        public var framesSent: Int
        public var connectionsAccepted: Int
    }

    public func status() -> Status {
        let list = connections.map {
            ConnectionStatus(
                id: $0.id, market: $0.market.rawValue, path: $0.path, streams: $0.streams.map(\.description),
                connectedSince: $0.connectedSince, framesSent: $0.framesSent
            )
        }
        return Status(
            connections: list, connectionCount: list.count, streamCount: list.reduce(0) { $0 + $1.streams.count },
            framesSent: framesSent, connectionsAccepted: connectionsAccepted
        )
    }
}
