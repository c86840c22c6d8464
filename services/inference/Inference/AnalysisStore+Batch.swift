import Analysis
import Contracts
import Core
import Postgres

extension AnalysisStore {
    /// One analysis to commit and how it decides on the symbol's signals.
    public struct BatchItem: Sendable {
        public var analysis: PendingAnalysis
        public var decide: @Sendable (SignalState) -> SignalDecision

        public init(_ analysis: PendingAnalysis, decide: @escaping @Sendable (SignalState) -> SignalDecision) {
            self.analysis = analysis
            self.decide = decide
        }
    }

    /// Writes several analyses, of distinct symbols, and what each decided, in one transaction
    /// of five statements whatever their number:
    /// 1. every symbol's advisory lock (in one order, so instances never deadlock) and the
    ///    days' partitions;
    /// 2. in a statement of its own, so its snapshot follows the locks: per analysis, whether
    ///    its moment is analysed already, the symbol's open signal and its latest signal time;
    /// 3. the open signals the decisions resolved;
    /// 4. the new signals (`ON CONFLICT DO NOTHING` on the moment);
    /// 5. the analyses rows.
    /// - Returns: per item, in order, nil when its moment was already analysed (nothing written).
    /// - Precondition: at most one item per market and symbol.
    public func commit(batch: [BatchItem]) async throws -> [CommitResult?] {
        guard !batch.isEmpty else { return [] }
        let analyses = batch.map(\.analysis)
        precondition(Set(analyses.map { MarketSymbol($0.market, $0.symbol) }).count == analyses.count, "one analysis per symbol in a batch")
        let lockKeys = Set(analyses.map { $0.market.rawValue + ":" + $0.symbol }).sorted()
        let days = Set(analyses.map { CandleInterval.oneDay.bucketStart($0.moment) }).sorted()
        return try await postgres.transaction { connection in
            _ = try await connection.query(prepared: """
                SELECT (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(\(lockKeys)::text[]) WITH ORDINALITY AS l (k, n) ORDER BY n) AS locked),
                       (SELECT count(ap_analyses_partition(timestamptz 'epoch' + d * interval '1 millisecond')) FROM unnest(\(days)::bigint[]) AS d)
                """)
            let rows = try await connection.query(prepared: """
                SELECT j.n,
                       EXISTS (SELECT 1 FROM analyses WHERE market = j.m AND symbol = j.s AND interval = '1m'
                               AND candle_time = timestamptz 'epoch' + j.t * interval '1 millisecond'),
                       o.id, o.detail,
                       (SELECT (extract(epoch FROM max(candle_time)) * 1000)::bigint FROM signals WHERE market = j.m AND symbol = j.s)
                FROM unnest(\(analyses.map(\.market.rawValue))::text[], \(analyses.map(\.symbol))::text[], \(analyses.map(\.moment))::bigint[])
                     WITH ORDINALITY AS j (m, s, t, n)
                LEFT JOIN LATERAL (
                    SELECT id, detail FROM signals WHERE market = j.m AND symbol = j.s AND status = 'open' AND detail IS NOT NULL
                ) AS o ON true
                ORDER BY j.n
                """)
            var decisions: [(index: Int, state: SignalState, decision: SignalDecision)] = []
            for row in rows {
                let index = try row.decode(0, as: Int.self) - 1
                guard try !row.decode(1, as: Bool.self) else { continue }
                var state = SignalState()
                if let id = try row.decode(2, as: Int64?.self) {
                    state.open = OpenSignal(id: id, signal: try row.decodeJSON("detail", as: Signal.self))
                }
                // A signal's creation time is the close of its moment's candle.
                state.lastSignalAt = try row.decode(4, as: Int64?.self).map { $0 + 59_999 }
                decisions.append((index, state, batch[index].decide(state)))
            }

            var resolvedIDs: Set<Int64> = []
            let resolutions = decisions.compactMap { item -> (Int64, Outcome)? in
                guard let resolved = item.decision.resolved, let open = item.state.open else { return nil }
                return (open.id, resolved.outcome)
            }
            if !resolutions.isEmpty {
                let changed = try await connection.query(prepared: """
                    UPDATE signals AS s SET status = u.status, resolved_at = timestamptz 'epoch' + u.at * interval '1 millisecond',
                                            exit_price = u.exit::numeric, outcome_r = u.r
                    FROM unnest(\(resolutions.map(\.0))::bigint[], \(resolutions.map(\.1.status.rawValue))::text[],
                                \(resolutions.map(\.1.resolvedAt))::bigint[], \(resolutions.map(\.1.exitPrice))::float8[],
                                \(resolutions.map(\.1.returnR))::float8[]) AS u (id, status, at, exit, r)
                    WHERE s.id = u.id AND s.status = 'open'
                    RETURNING s.id
                    """)
                resolvedIDs = Set(try changed.map { try $0.decode(0, as: Int64.self) })
            }

            var signalIDs: [MarketSymbol: Int64] = [:]
            let opened = decisions.compactMap { item -> (PendingAnalysis, Signal)? in
                item.decision.opened.map { (analyses[item.index], $0) }
            }
            if !opened.isEmpty {
                let inserted = try await connection.query(prepared: """
                    INSERT INTO signals (market, symbol, direction, candle_time, expires_at, entry, stop, targets, probability,
                                         confidence, agreeing_heads, votes, detail, job_id)
                    SELECT u.m, u.s, u.d, timestamptz 'epoch' + u.t * interval '1 millisecond',
                           timestamptz 'epoch' + u.x * interval '1 millisecond', u.e::numeric, u.st::numeric,
                           ARRAY[u.t1::numeric, u.t2::numeric], u.p, u.c,
                           ARRAY(SELECT jsonb_array_elements_text(u.h::jsonb)), u.v::jsonb, u.detail::jsonb, u.j
                    FROM unnest(\(opened.map(\.0.market.rawValue))::text[], \(opened.map(\.0.symbol))::text[],
                                \(opened.map(\.1.direction.rawValue))::text[], \(opened.map(\.0.moment))::bigint[],
                                \(opened.map(\.1.expiresAt))::bigint[], \(opened.map(\.1.entry))::float8[], \(opened.map(\.1.stop))::float8[],
                                \(opened.map(\.1.target1))::float8[], \(opened.map(\.1.target2))::float8[],
                                \(opened.map(\.1.probability))::float8[], \(opened.map(\.1.confidence))::float8[],
                                \(opened.map { PostgresJSON($0.1.agreeing.map(\.rawValue)) })::text[],
                                \(opened.map { PostgresJSON($0.1.votes) })::text[], \(opened.map { PostgresJSON($0.1) })::text[],
                                \(opened.map(\.0.jobID))::text[])
                         AS u (m, s, d, t, x, e, st, t1, t2, p, c, h, v, detail, j)
                    ON CONFLICT (market, symbol, candle_time) DO NOTHING
                    RETURNING id, market, symbol
                    """)
                for row in inserted {
                    guard let market = Market(rawValue: try row.decode(1, as: String.self)) else { continue }
                    signalIDs[MarketSymbol(market, try row.decode(2, as: String.self))] = try row.decode(0, as: Int64.self)
                }
            }

            guard !decisions.isEmpty else { return Array(repeating: nil, count: batch.count) }
            let written = decisions.map { item -> (PendingAnalysis, Consensus, Int64) in
                let analysis = analyses[item.index]
                return (analysis, item.decision.consensus, signalIDs[MarketSymbol(analysis.market, analysis.symbol)] ?? -1)
            }
            let inserted = try await connection.query(prepared: """
                INSERT INTO analyses (market, symbol, interval, candle_time, votes, consensus, direction, latency_ms, job_id, reason,
                                      inputs, missing_heads, queue_wait_ms, compute_ms, signal_id)
                SELECT u.m, u.s, '1m', timestamptz 'epoch' + u.t * interval '1 millisecond', u.v::jsonb, u.c::jsonb, nullif(u.d, ''),
                       u.w + u.cm, u.j, u.r, u.i::jsonb, ARRAY(SELECT jsonb_array_elements_text(u.mh::jsonb)), u.w, u.cm, nullif(u.sid, -1)
                FROM unnest(\(written.map(\.0.market.rawValue))::text[], \(written.map(\.0.symbol))::text[], \(written.map(\.0.moment))::bigint[],
                            \(written.map { Vote.jsonText($0.1.votes) })::text[], \(written.map { $0.1.jsonText(includingVotes: false) })::text[],
                            \(written.map { $0.1.isSignal ? $0.1.direction.rawValue : "" })::text[],
                            \(written.map(\.0.queueWaitMilliseconds))::float8[], \(written.map(\.0.computeMilliseconds))::float8[],
                            \(written.map(\.0.jobID))::text[], \(written.map(\.0.reason))::text[], \(written.map { JSONText.text($0.0.inputs) })::text[],
                            \(written.map { JSONText.text($0.0.missingHeads) })::text[], \(written.map(\.2))::bigint[])
                     AS u (m, s, t, v, c, d, w, cm, j, r, i, mh, sid)
                RETURNING id, market, symbol
                """)
            var analysisIDs: [MarketSymbol: Int64] = [:]
            for row in inserted {
                guard let market = Market(rawValue: try row.decode(1, as: String.self)) else { continue }
                analysisIDs[MarketSymbol(market, try row.decode(2, as: String.self))] = try row.decode(0, as: Int64.self)
            }
            var results: [CommitResult?] = Array(repeating: nil, count: batch.count)
            for item in decisions {
                let analysis = analyses[item.index]
                let key = MarketSymbol(analysis.market, analysis.symbol)
                guard let id = analysisIDs[key] else { continue }
                results[item.index] = CommitResult(
                    analysisID: id, signalID: signalIDs[key],
                    resolvedSignalID: item.state.open.map(\.id).flatMap { resolvedIDs.contains($0) && item.decision.resolved != nil ? $0 : nil })
            }
            return results
        }
    }
}
