import Core
import Logging
import Metrics
import Postgres

/// The `candles` table: 1m candles upserted idempotently, with 5m, 15m, 1h, 4h and 1d candles
/// derived from them inside PostgreSQL (migration 0003, `ap_rollup_candles`) in the same
/// transaction.
///
/// Metrics: `alphapulse.candles.upserted` counts 1m rows inserted or changed;
/// `alphapulse.candles.rollups` (dimension `interval`) counts derived rows inserted or changed.
public struct CandleStore: Sendable {
    public let postgres: PostgresPool
    let logger: Logger
    let upsertedCounter: Counter
    let rollupCounters: [CandleInterval: Counter]

    /// The intervals derived from 1m, shortest first.
    public static let derivedIntervals: [CandleInterval] = [.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours, .oneDay]

    /// - Parameter postgres: a pool whose search path holds the migrated schema.
    public init(postgres: PostgresPool, logger: Logger = Logger(label: "alphapulse.candles")) {
        self.postgres = postgres
        self.logger = logger
        upsertedCounter = Counter(label: "alphapulse.candles.upserted")
        rollupCounters = Dictionary(uniqueKeysWithValues: Self.derivedIntervals.map {
            ($0, Counter(label: "alphapulse.candles.rollups", dimensions: [("interval", $0.rawValue)]))
        })
    }

    /// What one `upsert` changed.
    public struct UpsertResult: Sendable, Hashable {
        /// Distinct 1m candles in the batch (a key repeated in the batch counts once: its last row wins).
        public var received: Int
        /// 1m rows inserted or changed; a row identical to the stored one is not rewritten.
        public var changed: Int
        /// Derived rows inserted or changed, per interval (every derived interval is present).
        public var rollups: [CandleInterval: Int]

        public init(received: Int = 0, changed: Int = 0, rollups: [CandleInterval: Int] = [:]) {
            self.received = received
            self.changed = changed
            self.rollups = rollups
        }

        /// Adds another batch's counts to these.
        public mutating func add(_ other: UpsertResult) {
            received += other.received
            changed += other.changed
            rollups.merge(other.rollups, uniquingKeysWith: +)
        }
    }

    /// Stores 1m candles and re-derives, in one transaction, every 5m…1d bucket they fall in.
    ///
    /// A repeated candle updates the stored row (values and `source`, `updated_at` = now) only
    /// when a value differs, compared as text so a change of scale counts; an identical repeat
    /// changes nothing. A derived bucket is written only when all of its minutes are present,
    /// so a bucket completed later (a backfill filling a gap) is derived by that later call.
    /// The 5m buckets of every row are re-checked; higher levels follow the rows that changed.
    /// Concurrent calls touching the same symbol run one after the other (a per-symbol
    /// transaction lock), so racing writers cannot leave a complete bucket underived.
    /// - Parameter rows: 1m candles of any markets and symbols, in any order; when a key repeats,
    ///   the last row wins.
    /// - Throws: `CandleStoreError` `.invalidCandle` when a row is not a 1m candle with a
    ///   minute-aligned open time, `closeTime > openTime`, decimal text in every price and volume
    ///   field and a source other than `rollup` (nothing is written then); `PostgresError` when
    ///   the database refuses the batch (e.g. SQLSTATE 23514 for high < low) — the whole batch is
    ///   rolled back.
    @discardableResult
    public func upsert(_ rows: [CandleRow]) async throws -> UpsertResult {
        let batch = try Self.validated(rows)
        guard !batch.isEmpty else {
            return UpsertResult(rollups: Dictionary(uniqueKeysWithValues: Self.derivedIntervals.map { ($0, 0) }))
        }
        var buffer = CopyBuffer(columns: Self.stagingColumns.count, reservingBytes: batch.count * 160)
        for row in batch {
            buffer.append(row.market.rawValue)
            buffer.append(row.symbol)
            buffer.append(row.openTime)
            buffer.append(row.closeTime)
            buffer.append(row.open)
            buffer.append(row.high)
            buffer.append(row.low)
            buffer.append(row.close)
            buffer.append(row.volume)
            buffer.append(row.quoteVolume)
            buffer.append(row.trades)
            buffer.append(row.takerBuyVolume)
            buffer.append(row.takerBuyQuoteVolume)
            buffer.append(row.source.rawValue)
            buffer.endRow()
        }
        let staged = buffer
        let result = try await postgres.transaction { connection in
            try await connection.execute(unsafeScript: Self.createStaging)
            try await connection.copy(into: Self.stagingTable, columns: Self.stagingColumns, from: staged)
            try await connection.execute(unsafeScript: Self.lockStagedSymbols)
            let changed = try await connection.execute(unsafeScript: Self.upsertFromStaging)
            let rollups = try Self.rollupCounts(try await connection.query(PostgresQuery(unsafeSQL: Self.rollupStaged)))
            return UpsertResult(received: staged.rowCount, changed: changed, rollups: rollups)
        }
        upsertedCounter.increment(by: Int64(result.changed))
        for (interval, count) in result.rollups where count > 0 {
            rollupCounters[interval]?.increment(by: Int64(count))
        }
        logger.debug("upserted candles", metadata: [
            "db.rows": "\(result.received)", "candles.changed": "\(result.changed)",
            "candles.rollups": "\(result.rollups.values.reduce(0, +))",
        ])
        return result
    }

    /// Re-derives every 5m…1d candle over the stored 1m candles of one symbol with open times in
    /// [from, to), at every level, whether or not anything changed: a repair after candles were
    /// edited outside this store (`upsert` itself keeps rollups current incrementally).
    /// - Returns: derived rows inserted or changed, per interval.
    @discardableResult
    public func rederive(market: Market, symbol: String, from: Int64, to: Int64) async throws -> [CandleInterval: Int] {
        let rollups = try await postgres.transaction { connection in
            try await connection.execute(Self.lockSymbol(market: market, symbol: symbol))
            let counts = try Self.rollupCounts(try await connection.query(Self.rederiveQuery(market: market, symbol: symbol, from: from, to: to)))
            // A repair may change derived candles no 1m write revised (migration 0009): a cached
            // window must not outlive it.
            if counts.values.contains(where: { $0 > 0 }) {
                try await connection.execute("SELECT ap_candles_revise(ARRAY[\(market.rawValue)], ARRAY[\(symbol)])")
            }
            return counts
        }
        for (interval, count) in rollups where count > 0 {
            rollupCounters[interval]?.increment(by: Int64(count))
        }
        return rollups
    }

    static func rollupCounts(_ rows: PostgresRows) throws -> [CandleInterval: Int] {
        var rollups = Dictionary(uniqueKeysWithValues: derivedIntervals.map { ($0, 0) })
        for row in rows {
            guard let interval = CandleInterval(rawValue: try row.decode(0, as: String.self)) else { continue }
            rollups[interval] = try row.decode(1, as: Int.self)
        }
        return rollups
    }

    /// Checks every row and keeps the last of each repeated key, in first-seen order.
    static func validated(_ rows: [CandleRow]) throws -> [CandleRow] {
        var positions: [CandleKey: Int] = [:]
        positions.reserveCapacity(rows.count)
        var batch: [CandleRow] = []
        batch.reserveCapacity(rows.count)
        for row in rows {
            guard row.interval == .oneMinute else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): only 1m candles are stored; \(row.interval.rawValue) is derived")
            }
            guard row.source != .rollup else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): source 'rollup' is reserved for derived candles")
            }
            guard !row.symbol.isEmpty, row.symbol.utf8.count <= 64 else {
                throw CandleStoreError(.invalidCandle, "a candle has an empty or overlong symbol")
            }
            guard row.openTime % 60_000 == 0 else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): open time is not on a whole minute")
            }
            guard row.closeTime > row.openTime else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): close time \(row.closeTime) is not after the open time")
            }
            guard row.trades >= 0, row.hasDecimalFields else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): a price, volume or trade count is not a plain decimal number")
            }
            let key = CandleKey(market: row.market, symbol: row.symbol, openTime: row.openTime)
            if let position = positions[key] {
                batch[position] = row
            } else {
                positions[key] = batch.count
                batch.append(row)
            }
        }
        return batch
    }

    struct CandleKey: Hashable {
        var market: Market
        var symbol: String
        var openTime: Int64
    }
}
