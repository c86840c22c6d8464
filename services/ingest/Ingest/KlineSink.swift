import Binance
import Contracts
import Core
import Foundation
import Logging
import Metrics
import Redis
import Synchronization

/// Writes what the connections receive to Redis, in pipelined batches: the latest kline per
/// symbol (`LatestKline`, coalesced — only the newest frame of a batch is written), every
/// closed kline to the `candles` stream (`CandleEntry`), and futures mark prices (`MarkPrice`).
///
/// **Bounded.** The sink accounts for the bytes it holds (`heldBytes`) and never holds more
/// than `maxBytes`. While Redis is down, closed klines queue up to that cap; a closed kline
/// that does not fit is not held but remembered as a minute range per symbol, counted
/// (`dropped_frames{reason="sink_full"}`), and handed to `onOverflow` once Redis takes writes
/// again, so the backfill fetches it from Binance (within `ingest.backfill_max_hours`).
/// Latest-kline and mark-price updates are state, not history: a newer one replaces a queued
/// older one.
///
/// **Per command.** A flush sends at most `maxCommands` commands. A connection failure keeps
/// the whole batch queued. A command Redis refuses (a wrong-typed key) is handled alone: a
/// refused state write is skipped and counted (`redis_command_errors{command}`), a refused
/// `XADD` stays queued while the rest of the batch is done; the flush then reports the
/// failure so the caller backs off instead of re-sending every 50 ms.
public final class KlineSink: Sendable {
    public struct Settings: Sendable {
        /// Most bytes of queued writes held in memory.
        public var maxBytes: Int
        /// Most commands in one pipeline.
        public var maxCommands: Int

        public init(maxBytes: Int, maxCommands: Int = 4096) {
            self.maxBytes = maxBytes
            self.maxCommands = maxCommands
        }
    }

    /// A latest-kline or mark-price hash write, kept as text until it is flushed: most are
    /// replaced by a newer one before then, so the command is built only for what is sent.
    struct StateWrite {
        var openTime: Int64
        var fields: [(String, String)]
        var bytes: Int

        init(openTime: Int64, fields: [(String, String)]) {
            self.openTime = openTime
            self.fields = fields
            // Text plus a fixed overhead per field, as `byteCount` does for commands.
            bytes = fields.reduce(128) { $0 + $1.0.utf8.count + $1.1.utf8.count + 96 }
        }
    }

    struct ClosedWrite {
        var market: Market
        var symbol: String
        var openTime: Int64
        var command: [RedisArgument]
        var bytes: Int
    }

    struct SymbolKey: Hashable {
        var market: Market
        var symbol: String
    }

    struct Pending {
        var latest: [String: StateWrite] = [:]
        var marks: [String: StateWrite] = [:]
        var closed: [ClosedWrite] = []
        var closedBytes = 0
        var stateBytes = 0
        /// Closed minutes refused at the cap, per symbol, to be backfilled.
        var overflow: [SymbolKey: ClosedRange<Int64>] = [:]
        /// The last flush failed (Redis down or refusing writes).
        var failing = false
        var heldBytes: Int { closedBytes + stateBytes }

        /// Queues a state write in place of the symbol's older one, unless it would pass the
        /// cap: then the queued one stays (or none), since the next frame brings the state again.
        mutating func replace(_ writes: WritableKeyPath<Pending, [String: StateWrite]>, key: String, with write: StateWrite, cap: Int) {
            let growth = write.bytes - (self[keyPath: writes][key]?.bytes ?? 0)
            guard heldBytes + growth <= cap else { return }
            self[keyPath: writes][key] = write
            stateBytes += growth
        }
    }

    let redis: RedisClient
    let keys: RedisKeys
    let settings: Settings
    let logger: Logger
    let metrics: IngestMetrics
    private let pending = Mutex(Pending())
    private let clocks = Mutex<[Market: ExchangeClock]>([:])
    private let overflowHandler = Mutex<(@Sendable (Market, String, ClosedRange<Int64>) -> Void)?>(nil)
    /// The flush loop waiting for a closed kline, if it is.
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let writeFailures = Counter(label: "alphapulse.ingest.redis_failures")
    private let ignoredEventTimes = Counter(label: "alphapulse.ingest.event_time_ignored")
    private let heldGauge = Gauge(label: "alphapulse.ingest.sink_bytes")

    public init(redis: RedisClient, keys: RedisKeys, settings: Settings, metrics: IngestMetrics, logger: Logger) {
        self.redis = redis
        self.metrics = metrics
        self.keys = keys
        self.settings = settings
        self.logger = logger
    }

    /// Where minutes refused at the cap go once Redis takes writes again (the backfill).
    public func onOverflow(_ handler: @escaping @Sendable (Market, String, ClosedRange<Int64>) -> Void) {
        overflowHandler.withLock { $0 = handler }
    }

    /// Queues a kline frame (any market, open or closed).
    public func kline(_ update: KlineUpdate, market: Market, source: CandleSource = .ws) {
        let row = Self.row(update, market: market, source: source)
        let key = keys.kline(market, update.symbol)
        let latest = StateWrite(
            openTime: update.openTime, fields: LatestKline(row: row, isClosed: update.isClosed, eventTime: update.eventTime ?? update.closeTime).fields)
        let closed = update.isClosed ? Self.closedWrite(row, stream: keys.candles) : nil
        if let event = update.eventTime {
            let local = Int64(Date.now.timeIntervalSince1970 * 1000)
            let accepted = clocks.withLock { clocks in clocks[market, default: ExchangeClock()].observe(event: event, local: local) }
            // The frame itself is kept; only its time is not trusted as "now".
            if !accepted { ignoredEventTimes.increment() }
        }
        let refused = pending.withLock { state -> Bool in
            // A backfilled (older) kline must not overwrite a newer live one.
            if let existing = state.latest[key], existing.openTime > update.openTime {
            } else {
                state.replace(\.latest, key: key, with: latest, cap: settings.maxBytes)
            }
            guard let closed else { return false }
            return !Self.admit(closed, into: &state, cap: settings.maxBytes)
        }
        if refused { metrics.dropped("sink_full") }
        if closed != nil { wakeFlush() }
    }

    /// Queues closed klines (a backfill) for the `candles` stream only.
    /// - Returns: how many were queued; the rest hit the cap and are remembered for a later backfill.
    @discardableResult
    public func closed(_ updates: [KlineUpdate], market: Market, source: CandleSource) -> Int {
        let writes = updates.filter(\.isClosed).map { Self.closedWrite(Self.row($0, market: market, source: source), stream: keys.candles) }
        let admitted = pending.withLock { state in writes.reduce(0) { $0 + (Self.admit($1, into: &state, cap: settings.maxBytes) ? 1 : 0) } }
        if admitted < writes.count { metrics.dropped("sink_full", count: writes.count - admitted) }
        return admitted
    }

    /// Queues a futures mark-price frame.
    public func markPrice(_ update: MarkPriceUpdate) {
        let key = keys.mark(update.symbol)
        let mark = MarkPrice(
            markPrice: update.markPrice.text, indexPrice: update.indexPrice.text, estimatedSettlePrice: update.estimatedSettlePrice.text,
            fundingRate: update.fundingRate.text, nextFundingTime: update.nextFundingTime, eventTime: update.eventTime)
        let write = StateWrite(openTime: update.eventTime, fields: mark.fields)
        pending.withLock { state in
            state.replace(\.marks, key: key, with: write, cap: settings.maxBytes)
        }
    }

    /// Waits until a closed kline is queued or `limit` has passed, whichever comes first: the
    /// flush loop's pause, so a closed kline goes out at once while the latest-kline state is
    /// still coalesced over `limit`.
    public func waitForClosed(upTo limit: Duration) async {
        if pending.withLock({ !$0.closed.isEmpty }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: limit) }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        // Stored first, then checked: a kline queued in between finds the waiter.
                        self.waiter.withLock { $0 = continuation }
                        if self.pending.withLock({ !$0.closed.isEmpty }) || Task.isCancelled { self.wakeFlush() }
                    }
                } onCancel: {
                    self.wakeFlush()
                }
            }
            await group.next()
            group.cancelAll()
            wakeFlush()
        }
    }

    private func wakeFlush() {
        waiter.withLock { waiting -> CheckedContinuation<Void, Never>? in
            defer { waiting = nil }
            return waiting
        }?.resume()
    }

    /// Binance's clock on `market` (ms): the newest plausible event time seen on its streams.
    public func exchangeNow(_ market: Market) -> Int64? {
        clocks.withLock { $0[market]?.now }
    }

    /// Closed klines waiting for Redis.
    public var backlog: Int { pending.withLock { $0.closed.count } }
    /// Bytes of queued writes held now; never above `settings.maxBytes`.
    public var heldBytes: Int { pending.withLock { $0.heldBytes } }
    /// Whether more closed klines (a backfill) are welcome now: Redis takes writes and the
    /// queue is under half its cap.
    public var accepting: Bool { pending.withLock { !$0.failing && $0.heldBytes < settings.maxBytes / 2 } }
    /// Whether nothing is queued or refused: every closed kline received so far is in Redis.
    public var isDrained: Bool { pending.withLock { !$0.failing && $0.closed.isEmpty && $0.overflow.isEmpty } }

    /// Writes what is queued — every state write and up to `maxCommands` closed klines — in
    /// one pipeline.
    ///
    /// - Throws: the connection's error (everything stays queued), or `RedisError` for the first
    ///   command Redis refused (refused closed klines stay queued, the rest is done).
    /// - Parameter includeState: false sends only closed klines, leaving latest-kline and
    ///   mark-price writes to coalesce until a later flush.
    public func flush(includeState: Bool = true) async throws {
        let batch = pending.withLock { state -> Pending in
            var taken = Pending()
            if includeState {
                swap(&taken.latest, &state.latest)
                swap(&taken.marks, &state.marks)
                taken.stateBytes = state.stateBytes
                state.stateBytes = 0
            }
            let count = min(state.closed.count, max(0, settings.maxCommands - taken.latest.count - taken.marks.count))
            taken.closed = Array(state.closed.prefix(count))
            state.closed.removeFirst(count)
            taken.closedBytes = taken.closed.reduce(0) { $0 + $1.bytes }
            state.closedBytes -= taken.closedBytes
            return taken
        }
        if batch.latest.isEmpty && batch.marks.isEmpty && batch.closed.isEmpty {
            recovered()
            return
        }
        var commands: [[RedisArgument]] = []
        commands.reserveCapacity(batch.latest.count + batch.marks.count + batch.closed.count)
        for key in batch.latest.keys.sorted() { commands.append(RedisArgument.hset(key, fields: batch.latest[key]!.fields)) }
        for key in batch.marks.keys.sorted() { commands.append(RedisArgument.hset(key, fields: batch.marks[key]!.fields)) }
        let stateCount = commands.count
        for write in batch.closed { commands.append(write.command) }
        let replies: [RedisValue]
        do {
            replies = try await redis.pipeline(commands: commands)
        } catch {
            writeFailures.increment()
            requeue(batch, closed: batch.closed)
            throw error
        }
        var refusedClosed: [ClosedWrite] = []
        var firstError: (any Error)?
        for (index, reply) in replies.enumerated() {
            do {
                _ = try reply.checked()
            } catch {
                firstError = firstError ?? error
                if index < stateCount {
                    metrics.commandError("HSET")
                } else {
                    metrics.commandError("XADD")
                    refusedClosed.append(batch.closed[index - stateCount])
                }
            }
        }
        metrics.closed(batch.closed.count - refusedClosed.count)
        if let firstError {
            writeFailures.increment()
            // State writes are not re-sent: the next frame writes the symbol again.
            requeue(Pending(), closed: refusedClosed)
            throw firstError
        }
        if batch.closed.count > 0 || !batch.latest.isEmpty { recovered() }
    }

    private func requeue(_ batch: Pending, closed: [ClosedWrite]) {
        pending.withLock { state in
            for (key, item) in batch.latest where state.latest[key] == nil {
                state.replace(\.latest, key: key, with: item, cap: settings.maxBytes)
            }
            for (key, item) in batch.marks where state.marks[key] == nil {
                state.replace(\.marks, key: key, with: item, cap: settings.maxBytes)
            }
            // Back at the front, in order; what no longer fits (newer state took the room) is
            // remembered for the backfill like any refused minute.
            var kept: [ClosedWrite] = []
            var keptBytes = 0
            for write in closed {
                if state.heldBytes + keptBytes + write.bytes <= settings.maxBytes {
                    kept.append(write)
                    keptBytes += write.bytes
                } else {
                    Self.remember(write, in: &state)
                }
            }
            state.closed.insert(contentsOf: kept, at: 0)
            state.closedBytes += keptBytes
            state.failing = true
        }
        heldGauge.record(heldBytes)
    }

    /// After a successful flush: hands refused minutes to the backfill once the queue is short.
    private func recovered() {
        let (overflow, held) = pending.withLock { state -> ([SymbolKey: ClosedRange<Int64>], Int) in
            state.failing = false
            guard state.heldBytes < settings.maxBytes / 2 else { return ([:], state.heldBytes) }
            defer { state.overflow = [:] }
            return (state.overflow, state.heldBytes)
        }
        heldGauge.record(held)
        guard !overflow.isEmpty else { return }
        let handler = overflowHandler.withLock { $0 }
        logger.info("Redis takes writes again; backfilling klines that did not fit in memory", metadata: ["symbols": "\(overflow.count)"])
        for (key, range) in overflow { handler?(key.market, key.symbol, range) }
    }

    private static func admit(_ write: ClosedWrite, into state: inout Pending, cap: Int) -> Bool {
        guard state.heldBytes + write.bytes <= cap else {
            remember(write, in: &state)
            return false
        }
        state.closed.append(write)
        state.closedBytes += write.bytes
        return true
    }

    private static func remember(_ write: ClosedWrite, in state: inout Pending) {
        let key = SymbolKey(market: write.market, symbol: write.symbol)
        if let range = state.overflow[key] {
            state.overflow[key] = min(range.lowerBound, write.openTime)...max(range.upperBound, write.openTime)
        } else {
            state.overflow[key] = write.openTime...write.openTime
        }
    }

    static func row(_ update: KlineUpdate, market: Market, source: CandleSource, interval: CandleInterval = .oneMinute) -> CandleRow {
        CandleRow(
            market: market, symbol: update.symbol, interval: interval, openTime: update.openTime, closeTime: update.closeTime,
            open: update.open.text, high: update.high.text, low: update.low.text, close: update.close.text, volume: update.volume.text,
            quoteVolume: update.quoteVolume.text, trades: update.trades, takerBuyVolume: update.takerBuyVolume.text,
            takerBuyQuoteVolume: update.takerBuyQuoteVolume.text, source: source)
    }

    static func closedWrite(_ row: CandleRow, stream: String) -> ClosedWrite {
        // No MAXLEN here: the stream is trimmed only below what every group acknowledged
        // (`CandleStreamTrimmer`).
        let command = RedisArgument.xadd(stream, fields: CandleEntry.encode(row))
        return ClosedWrite(market: row.market, symbol: row.symbol, openTime: row.openTime, command: command, bytes: byteCount(command))
    }

    /// What a queued command costs in memory: its bytes plus a fixed overhead per argument
    /// (array slot and heap header), so the cap holds for many tiny arguments too.
    static func byteCount(_ command: [RedisArgument]) -> Int {
        command.reduce(64) { $0 + $1.bytes.count + 48 }
    }
}
