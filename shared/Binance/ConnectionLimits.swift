import Core

/// Binance's per-connection and per-IP WebSocket limits, and the batching this module keeps
/// to. Defaults follow Binance's documentation (see Tests/Fixtures/README.md).
public struct ConnectionLimits: Sendable, Hashable {
    /// Streams one connection may hold: 1024 on spot; 200 on futures (Binance now documents
    /// 1024 there too, but older documents say 200, so 200 is the safe default).
    public var streamsPerConnection: Int
    /// Messages a client may send per second on one connection (SUBSCRIBE, UNSUBSCRIBE, PING
    /// and PONG all count): 5 on spot, 10 on futures.
    public var messagesPerSecond: Int
    /// Connection attempts per IP in `connectionAttemptWindow` ms: 300.
    public var connectionAttempts: Int
    /// 5 minutes.
    public var connectionAttemptWindow: Int64
    /// Streams in one SUBSCRIBE / UNSUBSCRIBE message: 200. Binance sets no documented cap;
    /// keeping messages small keeps each reply quick and a refused request cheap to retry.
    public var streamsPerMessage: Int
    /// The JSON text of one request stays within this many bytes: 8192, so a full message of
    /// 200 names up to 37 characters (`1000shibusdt@markPrice@1s` is 25) stays one message,
    /// while staying far below any WebSocket frame or proxy limit.
    public var maxMessageBytes: Int

    public init(
        streamsPerConnection: Int, messagesPerSecond: Int, connectionAttempts: Int = 300,
        connectionAttemptWindow: Int64 = 300_000, streamsPerMessage: Int = 200, maxMessageBytes: Int = 8192
    ) {
        precondition(streamsPerConnection > 0 && messagesPerSecond > 0 && connectionAttempts > 0)
        precondition(connectionAttemptWindow > 0 && streamsPerMessage > 0 && maxMessageBytes > 0)
        self.streamsPerConnection = streamsPerConnection
        self.messagesPerSecond = messagesPerSecond
        self.connectionAttempts = connectionAttempts
        self.connectionAttemptWindow = connectionAttemptWindow
        self.streamsPerMessage = streamsPerMessage
        self.maxMessageBytes = maxMessageBytes
    }

    /// Spot: 1024 streams, 5 messages/s.
    public static let spot = ConnectionLimits(streamsPerConnection: 1024, messagesPerSecond: 5)
    /// USDT-M futures: 200 streams, 10 messages/s.
    public static let futures = ConnectionLimits(streamsPerConnection: 200, messagesPerSecond: 10)

    public static func defaults(for market: Market) -> ConnectionLimits {
        switch market {
        case .spot: spot
        case .futures: futures
        }
    }

    /// What the pacer allows: one message per second below Binance's limit, as headroom for a
    /// PONG the client must send at once and for clock skew between us and Binance.
    public var pacedMessagesPerSecond: Int { max(1, messagesPerSecond - 1) }

    /// What the attempt limiter allows: one below Binance's limit, for the same reason.
    public var pacedConnectionAttempts: Int { max(1, connectionAttempts - 1) }
}
