import Contracts
import Logging
import Metrics
import Redis
import Synchronization

/// Keeps the `candles` stream short without ever losing a candle a consumer group still needs.
///
/// Every pass: the stream's groups (`XINFO GROUPS`) give, for each, the oldest entry it has
/// not acknowledged — the smallest pending id, or the entry after the last delivered one. When
/// the stream is longer than `softLength`, entries older than the oldest of those are trimmed
/// (`XTRIM MINID ~`). Past `hardLength` the oldest entries go whatever their state: a ceiling
/// against a persister that is gone for good. What that trims is counted
/// (`alphapulse.ingest.trimmed_unpersisted`), logged as an error, and reported degraded for an
/// hour; the
/// consistency check backfills those minutes from Binance.
///
/// Also records the persister group's lag (undelivered + pending entries) as the gauge
/// `alphapulse.ingest.persister_lag`.
public final class CandleStreamTrimmer: Sendable {
    let redis: RedisClient
    let keys: RedisKeys
    let softLength: Int
    let hardLength: Int
    let metrics: IngestMetrics
    let logger: Logger
    let degraded: @Sendable (String?) -> Void
    private let lagGauge = Gauge(label: "alphapulse.ingest.persister_lag")
    private let lastHardTrim = Mutex<ContinuousClock.Instant?>(nil)

    public init(
        redis: RedisClient, keys: RedisKeys, softLength: Int, hardLength: Int, metrics: IngestMetrics, logger: Logger,
        degraded: @escaping @Sendable (String?) -> Void = { _ in }
    ) {
        self.redis = redis
        self.keys = keys
        self.softLength = softLength
        self.hardLength = hardLength
        self.metrics = metrics
        self.logger = logger
        self.degraded = degraded
    }

    /// What one pass found and did.
    public struct Pass: Sendable, Hashable {
        public var length: Int
        public var persisterLag: Int?
        public var trimmedAcknowledged: Int
        public var trimmedUnacknowledged: Int
    }

    public func run(every period: Duration) async throws {
        while true {
            do {
                _ = try await pass()
            } catch {
                logger.warning("candles stream not trimmed", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: period)
        }
    }

    public func pass() async throws -> Pass {
        let stream = keys.candles
        // Nothing to trim before the first closed kline creates the stream.
        guard try await redis.exists(stream) == 1 else { return Pass(length: 0, persisterLag: nil, trimmedAcknowledged: 0, trimmedUnacknowledged: 0) }
        let groups = try await redis.xinfoGroups(stream)
        var safe: StreamID?
        var lag: Int?
        for group in groups {
            var oldest = StreamID(group.lastDeliveredID)?.next
            if group.pending > 0, let smallest = try await redis.xpending(stream, group: group.name).smallestID.flatMap(StreamID.init) {
                oldest = oldest.map { min($0, smallest) } ?? smallest
            }
            if let oldest { safe = safe.map { min($0, oldest) } ?? oldest }
            if group.name == RedisKeys.Group.persister { lag = group.lag.map { $0 + group.pending } }
        }
        if let lag { lagGauge.record(lag) }
        var result = Pass(length: try await redis.xlen(stream), persisterLag: lag, trimmedAcknowledged: 0, trimmedUnacknowledged: 0)
        if result.length > softLength, let safe, !groups.isEmpty {
            result.trimmedAcknowledged = try await redis.xtrim(stream, minID: safe.description)
            result.length -= result.trimmedAcknowledged
        }
        if result.length > hardLength {
            result.trimmedUnacknowledged = try await redis.xtrim(stream, maxLength: hardLength)
            metrics.trimmedUnpersisted(result.trimmedUnacknowledged)
            logger.error("candles stream past its hard ceiling: unacknowledged entries trimmed; the consistency check backfills them", metadata: [
                "stream.length": "\(result.length)", "stream.trimmed": "\(result.trimmedUnacknowledged)",
            ])
            lastHardTrim.withLock { $0 = .now }
            degraded("candles stream past ingest.candles_hard_maxlen: \(result.trimmedUnacknowledged) unacknowledged entries trimmed")
        } else if let last = lastHardTrim.withLock({ $0 }), ContinuousClock.now - last > .seconds(3600) {
            // Reported for an hour after the last forced trim.
            lastHardTrim.withLock { $0 = nil }
            degraded(nil)
        }
        return result
    }
}

/// A stream entry id, `ms-seq`, ordered as Redis orders them.
struct StreamID: Comparable, CustomStringConvertible, Sendable {
    var millis: UInt64
    var sequence: UInt64

    init(millis: UInt64, sequence: UInt64) {
        self.millis = millis
        self.sequence = sequence
    }

    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let millis = UInt64(parts[0]), let sequence = UInt64(parts[1]) else { return nil }
        self.init(millis: millis, sequence: sequence)
    }

    /// The smallest id after this one.
    var next: StreamID {
        sequence == .max ? StreamID(millis: millis + 1, sequence: 0) : StreamID(millis: millis, sequence: sequence + 1)
    }

    var description: String { "\(millis)-\(sequence)" }

    static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.millis, lhs.sequence) < (rhs.millis, rhs.sequence)
    }
}
