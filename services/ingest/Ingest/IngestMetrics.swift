import Metrics
import Synchronization

/// The ingest's counters, exported as metrics and kept in-process for the heartbeat:
/// `alphapulse.ingest.frames`, `alphapulse.ingest.dropped_frames` (`reason`: the parser's
/// reject reason, or `bad_stream_entry`), `alphapulse.ingest.reconnects`,
/// `alphapulse.ingest.backfilled` and `alphapulse.ingest.persisted` (candles),
/// `alphapulse.ingest.history_candles` (5m…4h candles stored from Binance's own klines),
/// `alphapulse.ingest.dead_letters` (`reason`), `alphapulse.ingest.trimmed_unpersisted`
/// (pending candles trimmed from the stream before they were stored), and
/// `alphapulse.ingest.redis_command_errors` (`command`: commands Redis refused and that were
/// skipped).
public final class IngestMetrics: Sendable {
    struct Totals: Sendable {
        var frames = 0
        var closed = 0
        var reconnects = 0
        var backfilled = 0
        var history = 0
        var persisted = 0
        var dropped: [String: Int] = [:]
        var deadLetters: [String: Int] = [:]
        var trimmedUnpersisted = 0
        var commandErrors = 0
    }

    private let framesCounter = Counter(label: "alphapulse.ingest.frames")
    private let closedCounter = Counter(label: "alphapulse.ingest.closed_candles")
    private let reconnectsCounter = Counter(label: "alphapulse.ingest.reconnects")
    private let backfilledCounter = Counter(label: "alphapulse.ingest.backfilled")
    private let persistedCounter = Counter(label: "alphapulse.ingest.persisted")
    private let state = Mutex(Totals())

    public init() {}

    func frame() {
        framesCounter.increment()
        state.withLock { $0.frames += 1 }
    }

    func closed(_ count: Int) {
        closedCounter.increment(by: count)
        state.withLock { $0.closed += count }
    }

    func reconnect() {
        reconnectsCounter.increment()
        state.withLock { $0.reconnects += 1 }
    }

    func backfilled(_ count: Int) {
        backfilledCounter.increment(by: count)
        state.withLock { $0.backfilled += count }
    }

    func history(_ count: Int) {
        Counter(label: "alphapulse.ingest.history_candles").increment(by: count)
        state.withLock { $0.history += count }
    }

    func persisted(_ count: Int) {
        persistedCounter.increment(by: count)
        state.withLock { $0.persisted += count }
    }

    func dropped(_ reason: String, count: Int = 1) {
        Counter(label: "alphapulse.ingest.dropped_frames", dimensions: [("reason", reason)]).increment(by: count)
        state.withLock { $0.dropped[reason, default: 0] += count }
    }

    func deadLettered(_ reason: String) {
        Counter(label: "alphapulse.ingest.dead_letters", dimensions: [("reason", reason)]).increment()
        state.withLock { $0.deadLetters[reason, default: 0] += 1 }
    }

    func trimmedUnpersisted(_ count: Int) {
        Counter(label: "alphapulse.ingest.trimmed_unpersisted").increment(by: count)
        state.withLock { $0.trimmedUnpersisted += count }
    }

    func commandError(_ command: String) {
        Counter(label: "alphapulse.ingest.redis_command_errors", dimensions: [("command", command)]).increment()
        state.withLock { $0.commandErrors += 1 }
    }

    /// Totals since the process started.
    var totals: Totals { state.withLock { $0 } }

    /// Dropped frames by reason since the process started.
    public var dropped: [String: Int] { state.withLock { $0.dropped } }
    public var frames: Int { state.withLock { $0.frames } }
    public var backfilled: Int { state.withLock { $0.backfilled } }
    /// Higher-interval candles stored from Binance's klines (history older than the 1m backfill).
    public var history: Int { state.withLock { $0.history } }
    public var persisted: Int { state.withLock { $0.persisted } }
    /// Dead-lettered entries by reason since the process started.
    public var deadLetters: [String: Int] { state.withLock { $0.deadLetters } }
    public var trimmed: Int { state.withLock { $0.trimmedUnpersisted } }
    public var commandErrors: Int { state.withLock { $0.commandErrors } }
}
