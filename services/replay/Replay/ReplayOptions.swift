/// Binance's limits as the replay server enforces them, configurable so tests can reach them.
public struct ReplayOptions: Sendable {
    /// REST request weight allowed per minute (Binance: spot 6000, USDT-M futures 2400).
    public var spotWeightLimit = 6_000
    public var futuresWeightLimit = 2_400
    /// Requests a client may send after a 429 before it is answered 418 (banned).
    public var requestsAfter429BeforeBan = 5
    /// How long a 418 ban lasts (Binance: 2 minutes to 3 days).
    public var banSeconds = 120
    /// WebSocket streams per connection (Binance: spot 1024; futures 1024 now, 200 in older documents).
    public var spotMaxStreams = 1_024
    public var futuresMaxStreams = 200
    /// Incoming WebSocket messages per second per connection (pings, pongs and SUBSCRIBE count).
    public var spotMessagesPerSecond = 5
    public var futuresMessagesPerSecond = 10
    /// Connections are closed after this long (Binance: 24 h).
    public var connectionLifetimeSeconds: Double = 86_400
    /// Server ping interval and how long a client has to answer (spot 20 s / 60 s, futures 180 s / 600 s).
    public var spotPingIntervalSeconds: Double = 20
    public var spotPongTimeoutSeconds: Double = 60
    public var futuresPingIntervalSeconds: Double = 180
    public var futuresPongTimeoutSeconds: Double = 600
    /// Real time between kline updates of an open candle (Binance: spot ~2 s, futures 250 ms).
    public var spotKlineUpdateSeconds: Double = 2
    public var futuresKlineUpdateSeconds: Double = 0.25

    public init() {}
}
