import Contracts
import Core
import Postgres

extension AnalysisStore {
    /// What a job needs of one interval: the newest `count` candles opening before `before`.
    public struct Want: Sendable {
        public var interval: CandleInterval
        public var before: Int64
        public var count: Int

        public init(interval: CandleInterval, before: Int64, count: Int) {
            self.interval = interval
            self.before = before
            self.count = count
        }
    }

    /// The candle windows of a symbol, through `cache` when given.
    ///
    /// One statement reads the symbol's candle revision (migration 0009: a new number whenever
    /// its stored candles change other than by appending) and, per interval, the candles after
    /// the cached range (only those are new) or the whole window. When the revision is not the
    /// one the cache was read at, something inside a cached range may have changed (a repaired
    /// gap, a corrected candle): every window is read whole again in a second statement.
    public func windows(market: Market, symbol: String, wants: [Want], cache: CandleCache?) async throws -> [CandleInterval: [Candle]] {
        let key = MarketSymbol(market, symbol)
        let cached = cache?.entry(key)
        // Cached intervals the request can build on: not newer than what it asks for.
        var candidates: [CandleInterval: [Candle]] = [:]
        for want in wants {
            if let candles = cached?.series[want.interval], let last = candles.last, last.openTime < want.before {
                candidates[want.interval] = candles
            }
        }
        var (revision, fresh) = try await read(market: market, symbol: symbol, wants: wants, after: candidates)
        if let cached, revision != cached.revision, !candidates.isEmpty {
            candidates = [:]
            (revision, fresh) = try await read(market: market, symbol: symbol, wants: wants, after: [:])
        }
        var result: [CandleInterval: [Candle]] = [:]
        var outcome = CandleCache.Outcome.hit
        for want in wants {
            // Read newest first; kept oldest first.
            let added = Array((fresh[want.interval] ?? []).reversed())
            if let candles = candidates[want.interval], added.count < want.count {
                // The cached tail and what is new, copied once into a window of its final size.
                var window: [Candle] = []
                window.reserveCapacity(min(want.count, candles.count + added.count))
                window.append(contentsOf: candles.suffix(want.count - added.count))
                window.append(contentsOf: added)
                result[want.interval] = window
            } else {
                if cached?.series[want.interval] == nil { outcome = outcome == .hit ? .miss : outcome } else { outcome = .reload }
                result[want.interval] = added
            }
        }
        cache?.store(key, revision: revision, series: result, outcome: outcome)
        return result
    }

    /// The symbol's candle revision and, per wanted interval, its newest `count` candles before
    /// `before` that open after the last candle of `after` (all of them for an interval not in
    /// `after`), newest first: one statement, so the revision is that of the candles read.
    private func read(
        market: Market, symbol: String, wants: [Want], after: [CandleInterval: [Candle]]
    ) async throws -> (revision: Int64, candles: [CandleInterval: [Candle]]) {
        let rows = try await postgres.query(prepared: """
            SELECT v.rev, c.iv, c.o, c.ct, c.op, c.hi, c.lo, c.cl, c.v, c.qv, c.t, c.tbv, c.tbqv
            FROM (SELECT coalesce((SELECT revision FROM candle_revisions WHERE market = \(market.rawValue) AND symbol = \(symbol)), 0) AS rev) AS v
            LEFT JOIN LATERAL (
                SELECT w.iv, (extract(epoch FROM c.open_time) * 1000)::bigint AS o, (extract(epoch FROM c.close_time) * 1000)::bigint AS ct,
                       c.open::float8 AS op, c.high::float8 AS hi, c.low::float8 AS lo, c.close::float8 AS cl, c.volume::float8 AS v,
                       c.quote_volume::float8 AS qv, c.trades AS t, c.taker_buy_volume::float8 AS tbv, c.taker_buy_quote_volume::float8 AS tbqv
                FROM unnest(\(wants.map(\.interval.rawValue))::text[], \(wants.map { after[$0.interval]?.last?.openTime ?? 0 })::bigint[],
                            \(wants.map(\.before))::bigint[], \(wants.map { Int64($0.count) })::bigint[]) AS w(iv, a, b, n)
                CROSS JOIN LATERAL (
                    SELECT * FROM candles
                    WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = w.iv
                      AND open_time > timestamptz 'epoch' + w.a * interval '1 millisecond'
                      AND open_time < timestamptz 'epoch' + w.b * interval '1 millisecond'
                    ORDER BY open_time DESC
                    LIMIT w.n
                ) AS c
            ) AS c ON true
            """)
        var revision: Int64 = 0
        var candles: [CandleInterval: [Candle]] = [:]
        for row in rows {
            revision = try row.decode(0, as: Int64.self)
            guard let name = try row.decode(1, as: String?.self), let interval = CandleInterval(rawValue: name) else { continue }
            candles[interval, default: []].append(Candle(
                market: market, symbol: symbol, interval: interval, openTime: try row.decode(2), closeTime: try row.decode(3),
                open: try row.decode(4), high: try row.decode(5), low: try row.decode(6), close: try row.decode(7),
                volume: try row.decode(8), quoteVolume: try row.decode(9), trades: try row.decode(10),
                takerBuyVolume: try row.decode(11), takerBuyQuoteVolume: try row.decode(12)))
        }
        return (revision, candles)
    }
}
