import Analysis
import Core
import Postgres

/// The `derivatives` table (migration 0005): funding, premium, open interest and long/short
/// ratio samples of futures symbols. Ingest's derivatives fetcher writes it; inference and the
/// backtest read it, each through `DerivativesHistory.at`, so both see the same data.
public struct DerivativesStore: Sendable {
    public let postgres: PostgresPool

    public init(postgres: PostgresPool) {
        self.postgres = postgres
    }

    /// One sample as Binance printed it.
    public struct Sample: Sendable, Hashable {
        public var symbol: String
        public var series: DerivativeSeries
        /// When the value became known (Unix ms).
        public var time: Int64
        /// Plain decimal text (`DecimalText`).
        public var value: String

        public init(symbol: String, series: DerivativeSeries, time: Int64, value: String) {
            self.symbol = symbol
            self.series = series
            self.time = time
            self.value = value
        }
    }

    /// Stores samples; a (symbol, series, time) already stored keeps its value, so fetching a
    /// range twice, or two fetchers racing, changes nothing. Samples whose value is not plain
    /// decimal text are skipped and counted in the result.
    /// - Returns: rows inserted, and samples skipped as malformed.
    @discardableResult
    public func insert(_ samples: [Sample]) async throws -> (inserted: Int, malformed: Int) {
        let valid = samples.filter { DecimalText.isValid($0.value) && !$0.symbol.isEmpty && $0.symbol.utf8.count <= 64 }
        guard !valid.isEmpty else { return (0, samples.count) }
        let inserted = try await postgres.execute("""
            INSERT INTO derivatives (symbol, series, time, value)
            SELECT s.symbol, s.series, timestamptz 'epoch' + s.t * interval '1 millisecond', s.v::numeric
            FROM unnest(\(valid.map(\.symbol))::text[], \(valid.map(\.series.rawValue))::text[], \(valid.map(\.time))::bigint[],
                        \(valid.map(\.value))::text[]) AS s (symbol, series, t, v)
            ON CONFLICT (symbol, series, time) DO NOTHING
            """)
        return (inserted, samples.count - valid.count)
    }

    /// The newest stored sample time per symbol and series.
    public func newest(symbols: [String]) async throws -> [String: [DerivativeSeries: Int64]] {
        guard !symbols.isEmpty else { return [:] }
        let rows = try await postgres.query("""
            SELECT symbol, series, (extract(epoch FROM max(time)) * 1000)::bigint FROM derivatives
            WHERE symbol = ANY(\(symbols)::text[]) GROUP BY symbol, series
            """)
        var result: [String: [DerivativeSeries: Int64]] = [:]
        for row in rows {
            guard let series = DerivativeSeries(rawValue: try row.decode(1, as: String.self)) else { continue }
            result[try row.decode(0, as: String.self), default: [:]][series] = try row.decode(2, as: Int64.self)
        }
        return result
    }

    /// What the analyses of several symbols, each at its own moment (ms, inclusive), read: per
    /// symbol and series the newest `windows.counts` samples at or before its moment, in one
    /// statement (a round of inference jobs reads its derivatives with one round trip). Read each
    /// result with `at(moment, windows:)`, which also drops stale series.
    /// - Returns: one history per request, in order.
    public func histories(_ requests: [(symbol: String, moment: Int64)], windows: DerivativesWindows = .standard) async throws -> [DerivativesHistory] {
        guard !requests.isEmpty else { return [] }
        let wanted = DerivativeSeries.allCases.filter { (windows.counts[$0] ?? 0) > 0 }
        let rows = try await postgres.query(prepared: """
            SELECT q.k, w.series, (extract(epoch FROM d.time) * 1000)::bigint, d.value::float8
            FROM unnest(\(requests.map(\.symbol))::text[], \(requests.map(\.moment))::bigint[]) WITH ORDINALITY AS q (s, t, k)
            CROSS JOIN unnest(\(wanted.map(\.rawValue))::text[], \(wanted.map { Int64(windows.counts[$0] ?? 0) })::bigint[]) AS w (series, n)
            CROSS JOIN LATERAL (
                SELECT time, value FROM derivatives
                WHERE symbol = q.s AND series = w.series AND time <= timestamptz 'epoch' + q.t * interval '1 millisecond'
                ORDER BY time DESC LIMIT w.n
            ) AS d
            """)
        var samples = Array(repeating: [DerivativeSeries: [TimedValue]](), count: requests.count)
        for row in rows {
            let index = try row.decode(0, as: Int.self) - 1
            guard samples.indices.contains(index), let series = DerivativeSeries(rawValue: try row.decode(1, as: String.self)) else { continue }
            samples[index][series, default: []].append(TimedValue(time: try row.decode(2, as: Int64.self), value: try row.decode(3, as: Double.self)))
        }
        return samples.map { DerivativesHistory($0) }
    }

    /// Every sample of `symbols` with times in [from, to], by symbol: what a backtest over that
    /// span reads (each step then takes `at(step)`).
    public func histories(symbols: [String], from: Int64, to: Int64) async throws -> [String: DerivativesHistory] {
        guard !symbols.isEmpty else { return [:] }
        let rows = try await postgres.query("""
            SELECT symbol, series, (extract(epoch FROM time) * 1000)::bigint, value::float8 FROM derivatives
            WHERE symbol = ANY(\(symbols)::text[])
              AND time BETWEEN timestamptz 'epoch' + \(from) * interval '1 millisecond' AND timestamptz 'epoch' + \(to) * interval '1 millisecond'
            """)
        var samples: [String: [DerivativeSeries: [TimedValue]]] = [:]
        for row in rows {
            guard let series = DerivativeSeries(rawValue: try row.decode(1, as: String.self)) else { continue }
            samples[try row.decode(0, as: String.self), default: [:]][series, default: []]
                .append(TimedValue(time: try row.decode(2, as: Int64.self), value: try row.decode(3, as: Double.self)))
        }
        return samples.mapValues { DerivativesHistory($0) }
    }
}
