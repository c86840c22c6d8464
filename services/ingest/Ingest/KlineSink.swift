import Binance
import Core
import Logging
import Metrics
import Redis
import Synchronization

/// Writes what the connections receive to Redis, in pipelined batches: the latest kline per
/// symbol (coalesced — only the newest frame of a batch is written), every closed kline to the
/// `candles` stream, and futures mark prices.
///
/// Closed klines are never dropped: a batch that fails (Redis down) stays queued and is
/// retried, in order, until Redis is back. Latest-kline and mark-price updates are state, not
/// history, so a newer one replaces a queued older one.
public final class KlineSink: Sendable {
    struct Pending {
        var latest: [String: (key: String, fields: [(String, String)])] = [:]
        var closed: [[RedisArgument]] = []
        var marks: [String: (key: String, fields: [(String, String)])] = [:]
        var isEmpty: Bool { latest.isEmpty && closed.isEmpty && marks.isEmpty }
    }

    let redis: RedisClient
    let keys: IngestKeys
    let maxLength: Int
    let logger: Logger
    private let pending = Mutex(Pending())
    private let exchangeTime = Mutex<[Market: Int64]>([:])
    let metrics: IngestMetrics
    private let writeFailures = Counter(label: "alphapulse.ingest.redis_failures")

    public init(redis: RedisClient, keys: IngestKeys, maxLength: Int, metrics: IngestMetrics, logger: Logger) {
        self.redis = redis
        self.metrics = metrics
        self.keys = keys
        self.maxLength = maxLength
        self.logger = logger
    }

    /// Queues a kline frame (any market, open or closed).
    public func kline(_ update: KlineUpdate, market: Market, source: String = "ws") {
        let key = keys.kline(market, update.symbol)
        let latest: [(String, String)] = [
            ("t", String(update.openTime)), ("T", String(update.closeTime)), ("o", update.open.text), ("h", update.high.text),
            ("l", update.low.text), ("c", update.close.text), ("v", update.volume.text), ("q", update.quoteVolume.text),
            ("V", update.takerBuyVolume.text), ("Q", update.takerBuyQuoteVolume.text), ("n", String(update.trades)),
            ("x", update.isClosed ? "1" : "0"), ("E", String(update.eventTime ?? update.closeTime)),
        ]
        let entry: [RedisArgument]? = update.isClosed ? Self.streamEntry(update, market: market, source: source) : nil
        if let event = update.eventTime {
            exchangeTime.withLock { times in times[market] = max(times[market] ?? 0, event) }
        }
        pending.withLock { state in
            // A backfilled (older) kline must not overwrite a newer live one.
            if let existing = state.latest[key], let t = existing.fields.first.flatMap({ Int64($0.1) }), t > update.openTime {
            } else {
                state.latest[key] = (key, latest)
            }
            if let entry { state.closed.append(entry) }
        }
    }

    /// Queues closed klines (a backfill) for the `candles` stream only.
    public func closed(_ updates: [KlineUpdate], market: Market, source: String) {
        let entries = updates.filter(\.isClosed).map { Self.streamEntry($0, market: market, source: source) }
        pending.withLock { $0.closed.append(contentsOf: entries) }
    }

    /// Queues a futures mark-price frame.
    public func markPrice(_ update: MarkPriceUpdate) {
        let key = keys.mark(update.symbol)
        let fields: [(String, String)] = [
            ("p", update.markPrice.text), ("i", update.indexPrice.text), ("P", update.estimatedSettlePrice.text),
            ("r", update.fundingRate.text), ("T", String(update.nextFundingTime)), ("E", String(update.eventTime)),
        ]
        pending.withLock { $0.marks[key] = (key, fields) }
    }

    /// The newest event time (Binance's clock, ms) seen on `market`'s streams, if any.
    public func exchangeNow(_ market: Market) -> Int64? {
        exchangeTime.withLock { $0[market] }
    }

    /// Closed klines waiting for Redis.
    public var backlog: Int { pending.withLock { $0.closed.count } }

    /// Writes everything queued in one pipeline. On failure the batch goes back to the front of
    /// the queue (newer state wins) and the error is thrown.
    public func flush() async throws {
        let batch = pending.withLock { state -> Pending in
            let taken = state
            state = Pending()
            return taken
        }
        guard !batch.isEmpty else { return }
        var commands: [[RedisArgument]] = []
        commands.reserveCapacity(batch.latest.count + batch.closed.count + batch.marks.count)
        for (_, item) in batch.latest.sorted(by: { $0.key < $1.key }) {
            commands.append(["HSET", RedisArgument(item.key)] + item.fields.flatMap { [RedisArgument($0.0), RedisArgument($0.1)] })
        }
        for (_, item) in batch.marks.sorted(by: { $0.key < $1.key }) {
            commands.append(["HSET", RedisArgument(item.key)] + item.fields.flatMap { [RedisArgument($0.0), RedisArgument($0.1)] })
        }
        for entry in batch.closed {
            commands.append(["XADD", RedisArgument(keys.candles), "MAXLEN", "~", RedisArgument(maxLength), "*"] + entry)
        }
        do {
            let replies = try await redis.pipeline(commands: commands)
            for reply in replies { _ = try reply.checked() }
            metrics.closed(batch.closed.count)
        } catch {
            writeFailures.increment()
            pending.withLock { state in
                for (key, item) in batch.latest where state.latest[key] == nil { state.latest[key] = item }
                for (key, item) in batch.marks where state.marks[key] == nil { state.marks[key] = item }
                state.closed = batch.closed + state.closed
            }
            throw error
        }
    }

    /// The `candles` stream fields of a closed kline (see `IngestKeys`).
    static func streamEntry(_ update: KlineUpdate, market: Market, source: String) -> [RedisArgument] {
        [
            "m", RedisArgument(market.rawValue), "s", RedisArgument(update.symbol), "t", RedisArgument(update.openTime),
            "T", RedisArgument(update.closeTime), "o", RedisArgument(update.open.text), "h", RedisArgument(update.high.text),
            "l", RedisArgument(update.low.text), "c", RedisArgument(update.close.text), "v", RedisArgument(update.volume.text),
            "q", RedisArgument(update.quoteVolume.text), "n", RedisArgument(update.trades), "V", RedisArgument(update.takerBuyVolume.text),
            "Q", RedisArgument(update.takerBuyQuoteVolume.text), "src", RedisArgument(source),
        ]
    }
}
