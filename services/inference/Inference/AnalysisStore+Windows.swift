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

    /// The windows one symbol needs.
    public struct WindowRequest: Sendable {
        public var market: Market
        public var symbol: String
        public var wants: [Want]

        public init(market: Market, symbol: String, wants: [Want]) {
            self.market = market
            self.symbol = symbol
            self.wants = wants
        }
    }

    /// The candle windows of a symbol, through `cache` when given.
    public func windows(market: Market, symbol: String, wants: [Want], cache: CandleCache?) async throws -> [CandleInterval: [Candle]] {
        try await windows([WindowRequest(market: market, symbol: symbol, wants: wants)], cache: cache)[0]
    }

    /// Symbols per statement when whole windows are read (about 1,700 rows a symbol).
    static let symbolsPerWholeRead = 8

    /// The candle windows of several symbols, through `cache` when given: a round of jobs reads
    /// its candles in one statement (two when a cached symbol's candles changed).
    ///
    /// The statement reads each symbol's candle revision (migration 0009: a new number whenever
    /// its stored candles change other than by appending) and, per interval, the candles after
    /// the cached range (only those are new) or the whole window. When a symbol's revision is
    /// not the one its cache entry was read at, something inside a cached range may have changed
    /// (a repaired gap, a corrected candle): its windows are read whole again in a second
    /// statement. A cached window is topped up in place: the new candles appended, the oldest
    /// beyond the window dropped.
    ///
    /// Symbols read whole (not cached, or changed) are read in statements of
    /// `symbolsPerWholeRead` symbols, up to `concurrency` at once: a cold round reads some
    /// 100,000 rows, and in one statement PostgreSQL would produce them all before this process
    /// decoded the first. The cached symbols' top-ups stay one statement.
    /// - Returns: one set of windows per request, in order, oldest candle first.
    /// - Precondition: at most one request per market and symbol.
    public func windows(_ requests: [WindowRequest], cache: CandleCache?, concurrency: Int = 1) async throws -> [[CandleInterval: [Candle]]] {
        guard !requests.isEmpty else { return [] }
        let keys = requests.map { MarketSymbol($0.market, $0.symbol) }
        precondition(Set(keys).count == keys.count, "one request per symbol")
        // Cached windows each request can build on (not newer than what it asks for), taken
        // out of the cache so that they are topped up without a copy.
        var candidates = Array(repeating: [CandleInterval: [Candle]](), count: requests.count)
        var cachedRevisions = Array(repeating: Int64?.none, count: requests.count)
        var cachedIntervals = Array(repeating: Set<CandleInterval>(), count: requests.count)
        for (index, request) in requests.enumerated() {
            guard var entry = cache?.take(keys[index]) else { continue }
            cachedRevisions[index] = entry.revision
            cachedIntervals[index] = Set(entry.series.keys)
            for want in request.wants {
                if let candles = entry.series.removeValue(forKey: want.interval), let last = candles.last, last.openTime < want.before {
                    candidates[index][want.interval] = candles
                }
            }
        }
        var (revisions, fresh) = try await read(requests, after: candidates.map { $0.compactMapValues(\.last?.openTime) }, concurrency: concurrency)
        let changed = requests.indices.filter { index in
            cachedRevisions[index].map { $0 != revisions[index] } == true && !candidates[index].isEmpty
        }
        if !changed.isEmpty {
            let whole = try await read(changed.map { requests[$0] }, after: changed.map { _ in [:] }, concurrency: concurrency)
            for (position, index) in changed.enumerated() {
                candidates[index] = [:]
                revisions[index] = whole.revisions[position]
                fresh[index] = whole.candles[position]
            }
        }
        var results: [[CandleInterval: [Candle]]] = []
        results.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            var result: [CandleInterval: [Candle]] = [:]
            var outcome = CandleCache.Outcome.hit
            for want in request.wants {
                // Read newest first; kept oldest first.
                let added = (fresh[index][want.interval] ?? []).reversed()
                if added.count < want.count, var window = candidates[index].removeValue(forKey: want.interval) {
                    // The oldest dropped first, so the window never outgrows its storage (an
                    // append past the capacity would double it, in every cached window).
                    let overflow = window.count + added.count - want.count
                    if overflow > 0 { window.removeFirst(overflow) }
                    window.append(contentsOf: added)
                    result[want.interval] = window
                } else {
                    if !cachedIntervals[index].contains(want.interval) { outcome = outcome == .hit ? .miss : outcome } else { outcome = .reload }
                    result[want.interval] = Array(added)
                }
            }
            cache?.store(keys[index], revision: revisions[index], series: result, outcome: outcome)
            results.append(result)
        }
        return results
    }

    /// `read(_:after:)` of every request, the whole reads (no `after`) in parts of
    /// `symbolsPerWholeRead` symbols and the rest in one, up to `concurrency` statements at once.
    private func read(
        _ requests: [WindowRequest], after: [[CandleInterval: Int64]], concurrency: Int
    ) async throws -> (revisions: [Int64], candles: [[CandleInterval: [Candle]]]) {
        let whole = requests.indices.filter { after[$0].isEmpty }
        guard concurrency > 1, whole.count > Self.symbolsPerWholeRead else { return try await read(requests, after: after) }
        var parts = stride(from: 0, to: whole.count, by: Self.symbolsPerWholeRead).map {
            Array(whole[$0..<min($0 + Self.symbolsPerWholeRead, whole.count)])
        }
        let topUps = requests.indices.filter { !after[$0].isEmpty }
        if !topUps.isEmpty { parts.insert(topUps, at: 0) }
        var revisions = Array(repeating: Int64(0), count: requests.count)
        var candles = Array(repeating: [CandleInterval: [Candle]](), count: requests.count)
        // A struct, not a tuple, comes back from each child (see `InferenceService.prepare`: a
        // tuple result came back with a corrupt index in debug builds of Swift 6.3.1).
        try await withThrowingTaskGroup(of: PartRead.self) { group in
            var started = 0
            func startNext() {
                let part = started
                let partRequests = parts[part].map { requests[$0] }
                let partAfter = parts[part].map { after[$0] }
                started += 1
                group.addTask {
                    let result = try await self.read(partRequests, after: partAfter)
                    return PartRead(part: part, revisions: result.revisions, candles: result.candles)
                }
            }
            while started < min(concurrency, parts.count) { startNext() }
            while let result = try await group.next() {
                for (position, index) in parts[result.part].enumerated() {
                    revisions[index] = result.revisions[position]
                    candles[index] = result.candles[position]
                }
                if started < parts.count { startNext() }
            }
        }
        return (revisions, candles)
    }

    /// What one part of a parted read gave: the part's number and its requests' results, in order.
    private struct PartRead: Sendable {
        var part: Int
        var revisions: [Int64]
        var candles: [[CandleInterval: [Candle]]]
    }

    /// Per request, the symbol's candle revision and, per wanted interval, its newest `count`
    /// candles before `before` that open after `after`'s open time (all of them for an
    /// interval not in `after`), newest first: one statement, so each revision is that of the
    /// candles read.
    ///
    /// Prices and volumes come as numeric text and open and close times through `date_part`:
    /// PostgreSQL's `numeric::float8` formats the number and parses it again, and `extract`
    /// computes in numeric (in psql, 100,000 rows of eight numeric columns took 445 ms with
    /// the casts and 154 ms without; two epochs 165 ms by `extract`, 76 ms by `date_part`).
    /// The Doubles are the cast's (both parse the same decimal text correctly rounded;
    /// `PostgresTests.decodesSpecialFloatsAndNumericAsItsCast`).
    private func read(
        _ requests: [WindowRequest], after: [[CandleInterval: Int64]]
    ) async throws -> (revisions: [Int64], candles: [[CandleInterval: [Candle]]]) {
        var wantRequest: [Int64] = []
        var wantMarket: [String] = []
        var wantSymbol: [String] = []
        var wantInterval: [String] = []
        var wantAfter: [Int64] = []
        var wantBefore: [Int64] = []
        var wantCount: [Int64] = []
        for (index, request) in requests.enumerated() {
            for want in request.wants {
                wantRequest.append(Int64(index + 1))
                wantMarket.append(request.market.rawValue)
                wantSymbol.append(request.symbol)
                wantInterval.append(want.interval.rawValue)
                wantAfter.append(after[index][want.interval] ?? 0)
                wantBefore.append(want.before)
                wantCount.append(Int64(want.count))
            }
        }
        // A row per symbol with its revision (no interval), then the candles: every want names
        // its symbol, so each index scan runs once, for its own want.
        let rows = try await postgres.query(prepared: """
            SELECT q.k, coalesce((SELECT revision FROM candle_revisions WHERE market = q.m AND symbol = q.s), 0),
                   NULL::text, NULL::bigint, NULL::bigint, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric,
                   NULL::numeric, NULL::bigint, NULL::numeric, NULL::numeric
            FROM unnest(\(requests.map(\.market.rawValue))::text[], \(requests.map(\.symbol))::text[]) WITH ORDINALITY AS q (m, s, k)
            UNION ALL
            SELECT w.k, NULL, w.iv, (date_part('epoch', c.open_time) * 1000)::bigint, (date_part('epoch', c.close_time) * 1000)::bigint,
                   c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades, c.taker_buy_volume, c.taker_buy_quote_volume
            FROM unnest(\(wantRequest)::bigint[], \(wantMarket)::text[], \(wantSymbol)::text[], \(wantInterval)::text[],
                        \(wantAfter)::bigint[], \(wantBefore)::bigint[], \(wantCount)::bigint[]) AS w (k, m, s, iv, a, b, n)
            CROSS JOIN LATERAL (
                SELECT * FROM candles
                WHERE market = w.m AND symbol = w.s AND interval = w.iv
                  AND open_time > timestamptz 'epoch' + w.a * interval '1 millisecond'
                  AND open_time < timestamptz 'epoch' + w.b * interval '1 millisecond'
                ORDER BY open_time DESC
                LIMIT w.n
            ) AS c
            """)
        var revisions = Array(repeating: Int64(0), count: requests.count)
        var candles = Array(repeating: [CandleInterval: [Candle]](), count: requests.count)
        var unordered = false
        for row in rows {
            let index = try row.decode(0, as: Int.self) - 1
            guard requests.indices.contains(index) else { continue }
            if let revision = try row.decode(1, as: Int64?.self) { revisions[index] = revision }
            guard let name = try row.decode(2, as: String?.self), let interval = CandleInterval(rawValue: name) else { continue }
            let request = requests[index]
            let candle = Candle(
                market: request.market, symbol: request.symbol, interval: interval, openTime: try row.decode(3), closeTime: try row.decode(4),
                open: try row.decode(5), high: try row.decode(6), low: try row.decode(7), close: try row.decode(8),
                volume: try row.decode(9), quoteVolume: try row.decode(10), trades: try row.decode(11),
                takerBuyVolume: try row.decode(12), takerBuyQuoteVolume: try row.decode(13))
            if let previous = candles[index][interval]?.last, previous.openTime <= candle.openTime { unordered = true }
            candles[index][interval, default: []].append(candle)
        }
        // Each window comes newest first from its nested loop; should a plan ever interleave
        // them, they are put in order here rather than trusted.
        if unordered {
            for index in candles.indices {
                for interval in candles[index].keys { candles[index][interval]?.sort { $0.openTime > $1.openTime } }
            }
        }
        return (revisions, candles)
    }
}
