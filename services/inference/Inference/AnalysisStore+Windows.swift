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

    /// The candle windows of a symbol, through `cache` when given: a cached interval whose range
    /// is still as stored (count and newest `updated_at` unchanged) is topped up with only the
    /// candles after it; anything else is read whole. Two round trips on a hit, one on a miss.
    public func windows(market: Market, symbol: String, wants: [Want], cache: CandleCache?) async throws -> [CandleInterval: [Candle]] {
        let key = MarketSymbol(market, symbol)
        let cached = cache?.series(key) ?? [:]
        // Cached intervals the request can build on: not newer than what it asks for.
        var candidates: [CandleInterval: CandleCache.Series] = [:]
        for want in wants {
            if let series = cached[want.interval], let last = series.candles.last, last.openTime < want.before {
                candidates[want.interval] = series
            }
        }
        var valid: Set<CandleInterval> = []
        if !candidates.isEmpty {
            let intervals = Array(candidates.keys)
            let rows = try await postgres.query(prepared: """
                SELECT w.iv, s.n, s.u
                FROM unnest(\(intervals.map(\.rawValue))::text[], \(intervals.map { candidates[$0]!.candles.first!.openTime })::bigint[],
                            \(intervals.map { candidates[$0]!.candles.last!.openTime })::bigint[]) AS w(iv, f, t)
                CROSS JOIN LATERAL (
                    SELECT count(*) AS n, coalesce((extract(epoch FROM max(updated_at)) * 1000000)::bigint, 0) AS u
                    FROM candles
                    WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = w.iv
                      AND open_time >= timestamptz 'epoch' + w.f * interval '1 millisecond'
                      AND open_time <= timestamptz 'epoch' + w.t * interval '1 millisecond'
                ) AS s
                """)
            for row in rows {
                guard let interval = CandleInterval(rawValue: try row.decode(0, as: String.self)), let series = candidates[interval] else { continue }
                if try row.decode(1, as: Int.self) == series.candles.count, try row.decode(2, as: Int64.self) == series.updated {
                    valid.insert(interval)
                }
            }
        }
        // One read for everything: what follows a valid cached range, or the whole window.
        let reads = wants.map { want -> (Want, Int64) in
            (want, valid.contains(want.interval) ? candidates[want.interval]!.candles.last!.openTime : 0)
        }
        let rows = try await postgres.query(prepared: """
            SELECT w.iv, (extract(epoch FROM c.open_time) * 1000)::bigint, (extract(epoch FROM c.close_time) * 1000)::bigint,
                   c.open::float8, c.high::float8, c.low::float8, c.close::float8, c.volume::float8, c.quote_volume::float8, c.trades,
                   c.taker_buy_volume::float8, c.taker_buy_quote_volume::float8, (extract(epoch FROM c.updated_at) * 1000000)::bigint
            FROM unnest(\(reads.map(\.0.interval.rawValue))::text[], \(reads.map(\.1))::bigint[], \(reads.map(\.0.before))::bigint[],
                        \(reads.map { Int64($0.0.count) })::bigint[]) AS w(iv, a, b, n)
            CROSS JOIN LATERAL (
                SELECT * FROM candles
                WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = w.iv
                  AND open_time > timestamptz 'epoch' + w.a * interval '1 millisecond'
                  AND open_time < timestamptz 'epoch' + w.b * interval '1 millisecond'
                ORDER BY open_time DESC
                LIMIT w.n
            ) AS c
            """)
        var fresh: [CandleInterval: [Candle]] = [:]
        var freshStamps: [CandleInterval: [Int64]] = [:]
        for row in rows {
            guard let interval = CandleInterval(rawValue: try row.decode(0, as: String.self)) else { continue }
            fresh[interval, default: []].append(Candle(
                market: market, symbol: symbol, interval: interval, openTime: try row.decode(1), closeTime: try row.decode(2),
                open: try row.decode(3), high: try row.decode(4), low: try row.decode(5), close: try row.decode(6),
                volume: try row.decode(7), quoteVolume: try row.decode(8), trades: try row.decode(9),
                takerBuyVolume: try row.decode(10), takerBuyQuoteVolume: try row.decode(11)))
            freshStamps[interval, default: []].append(try row.decode(12, as: Int64.self))
        }
        var result: [CandleInterval: [Candle]] = [:]
        var store: [CandleInterval: CandleCache.Series] = [:]
        var outcome = CandleCache.Outcome.hit
        for want in wants {
            // Read newest first; kept oldest first.
            let added = Array((fresh[want.interval] ?? []).reversed())
            let addedStamps = Array((freshStamps[want.interval] ?? []).reversed())
            if valid.contains(want.interval), let series = candidates[want.interval], added.count < want.count {
                let candles = Array((series.candles + added).suffix(want.count))
                let stamps = Array((series.stamps + addedStamps).suffix(want.count))
                result[want.interval] = candles
                store[want.interval] = CandleCache.Series(candles: candles, stamps: stamps)
            } else {
                if cached[want.interval] == nil { outcome = outcome == .hit ? .miss : outcome } else { outcome = .reload }
                result[want.interval] = added
                store[want.interval] = CandleCache.Series(candles: added, stamps: addedStamps)
            }
        }
        cache?.store(key, store, outcome: outcome)
        return result
    }
}
