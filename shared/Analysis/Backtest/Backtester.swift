import Core

/// Replays 1m candles through heads → ``Consensus`` → ``SignalBook`` → outcome resolution,
/// exactly as the live service does, and reports how the signals performed.
///
/// **No look-ahead.** Candles are walked one at a time per symbol. At each 1m candle the book
/// first resolves any open signal with it, then, if the candle is an analysis step (see
/// ``BacktestOptions``), the heads see an ``AnalysisInput`` holding only 1m candles up to and
/// including this one and only higher-timeframe candles whose buckets are complete by now
/// (``CandleAggregator``). A signal made at a step is entered at that candle's close and
/// resolved from the next candle on. Symbols are independent (one book per symbol's key; no
/// portfolio limits).
///
/// **Stop sizing.** `atr` gives the Average True Range for an input, in price units; a
/// non-finite or non-positive answer means no signal (and no probe) at that step.
///
/// **Baseline.** For every symbol the strategy pass counts its signals *S* and its
/// *eligible steps* *E* — analysed steps where the book would have accepted a signal (none
/// open, cooldown over) and a stop could be sized. A second pass replays the same steps with a
/// fresh book and a ``SplitMix64`` seeded with `baselineSeed ^ stableHash("market:symbol")`:
/// at each of its own eligible steps it draws u in 0..<1 and opens a signal when u < S/E, in a
/// direction from a second draw (long or short with equal chance). Stop, targets, expiry,
/// cooldown and one-open rule are the strategy's, so the baseline produces about as many
/// signals on each symbol; the report is the same for the same input and seed.
///
/// **Head scores.** See ``BacktestReport/HeadScore``.
public struct Backtester: Sendable {
    public var heads: [any Head]
    public var consensusRules: ConsensusRules
    public var signalRules: SignalRules
    public var options: BacktestOptions
    /// The ATR (price units) the stop is sized from, for the input of a step.
    public var atr: @Sendable (AnalysisInput) -> Double

    /// - Parameters:
    ///   - heads: at most 64 heads, evaluated in this order at every step.
    ///   - atr: the ATR for an analysis input, e.g. a 14-period Wilder ATR of its 1m candles.
    public init(
        heads: [any Head], consensus: ConsensusRules = ConsensusRules(), signals: SignalRules = SignalRules(),
        options: BacktestOptions = BacktestOptions(), atr: @escaping @Sendable (AnalysisInput) -> Double
    ) {
        precondition(heads.count <= 64, "a backtest takes at most 64 heads")
        self.heads = heads
        self.consensusRules = consensus
        self.signalRules = signals
        self.options = options
        self.atr = atr
    }

    /// Runs the backtest over `candles`: 1m candles of any number of markets and symbols, in
    /// any order. Candles of other intervals are ignored, as are repeated open times (the
    /// first one is kept).
    ///
    /// - Parameter progress: called with the fraction done (0...1), at most about 200 times,
    ///   finally with 1.
    /// - Parameter derivatives: futures symbols' derivatives history (by symbol), read at each
    ///   step through `DerivativesHistory.at` exactly as the live service reads it.
    /// - Parameter history: higher-timeframe candles older than a symbol's 1m candles (stored
    ///   ones, such as Binance's own klines that reach further back than the 1m history): those
    ///   of buckets that begin before the symbol's first 1m candle, which its 1m candles cannot
    ///   complete, join its windows as each closes, as the live service reads them from the
    ///   database. Others, and intervals not built, are ignored.
    public func run(
        _ candles: [Candle], history: [Candle] = [], derivatives: [String: DerivativesHistory] = [:], progress: ((Double) -> Void)? = nil
    ) -> BacktestReport {
        let series = Self.series(candles)
        let total = 2 * series.reduce(0) { $0 + $1.candles.count }
        var meter = ProgressMeter(total: total, report: progress)
        var older: [SignalBook.Key: [Candle]] = [:]
        for candle in history where candle.interval != .oneMinute {
            older[SignalBook.Key(market: candle.market, symbol: candle.symbol), default: []].append(candle)
        }

        var runs: [SymbolRun] = []
        for (key, symbolCandles) in series {
            var run = strategyPass(
                key: key, candles: symbolCandles, history: older[key] ?? [],
                derivatives: key.market == .futures ? derivatives[key.symbol] : nil, meter: &meter)
            baselinePass(&run, candles: symbolCandles, meter: &meter)
            runs.append(run)
        }
        meter.finish()
        return report(runs)
    }

    /// One market's and symbol's 1m candles, sorted and de-duplicated, symbols in key order.
    static func series(_ candles: [Candle]) -> [(key: SignalBook.Key, candles: [Candle])] {
        var groups: [SignalBook.Key: [Candle]] = [:]
        for candle in candles where candle.interval == .oneMinute {
            groups[SignalBook.Key(market: candle.market, symbol: candle.symbol), default: []].append(candle)
        }
        return groups.keys.sorted().map { key in
            var list = groups[key]!
            if !zip(list, list.dropFirst()).allSatisfy({ $0.openTime < $1.openTime }) {
                // Stable, so the first of equal open times stays first.
                list = list.enumerated().sorted { ($0.element.openTime, $0.offset) < ($1.element.openTime, $1.offset) }
                    .map(\.element)
                var unique: [Candle] = []
                unique.reserveCapacity(list.count)
                for candle in list where unique.last.map({ $0.openTime < candle.openTime }) ?? true {
                    unique.append(candle)
                }
                list = unique
            }
            return (key, list)
        }
    }

    private func report(_ runs: [SymbolRun]) -> BacktestReport {
        let from = runs.compactMap(\.firstStepOpen).min()
        let to = runs.compactMap(\.lastStepClose).max().map { $0 + 1 }
        let days = from.flatMap { from in to.map { Double($0 - from) / 86_400_000 } } ?? 0

        func byResolution(_ a: ResolvedSignal, _ b: ResolvedSignal) -> Bool {
            let left = (a.outcome.resolvedAt, a.signal.createdAt, a.signal.market.rawValue, a.signal.symbol)
            let right = (b.outcome.resolvedAt, b.signal.createdAt, b.signal.market.rawValue, b.signal.symbol)
            return left < right
        }
        let results = runs.flatMap(\.resolved).sorted(by: byResolution)
        let open = runs.flatMap(\.open).sorted {
            ($0.createdAt, $0.market.rawValue, $0.symbol) < ($1.createdAt, $1.market.rawValue, $1.symbol)
        }
        let baselineResults = runs.flatMap(\.baselineResolved).sorted(by: byResolution)
        let signals = runs.reduce(0) { $0 + $1.resolved.count + $1.open.count }
        let eligible = runs.reduce(0) { $0 + $1.eligibleSteps }

        let heads = self.heads.indices.map { index in
            let scored = runs.reduce(0) { $0 + $1.heads[index].scored }
            let hits = runs.reduce(0) { $0 + $1.heads[index].hits }
            return BacktestReport.HeadScore(
                head: self.heads[index].kind.rawValue, votes: runs.reduce(0) { $0 + $1.heads[index].votes },
                scored: scored, hits: hits, hitRate: scored == 0 ? 0 : Double(hits) / Double(scored),
                agreedSignals: runs.reduce(0) { $0 + $1.heads[index].agreed })
        }

        return BacktestReport(
            from: from, to: to,
            symbols: runs.map {
                BacktestReport.SymbolSummary(
                    market: $0.key.market, symbol: $0.key.symbol, candles: $0.candles, steps: $0.steps,
                    signals: $0.resolved.count + $0.open.count)
            },
            candlesProcessed: runs.reduce(0) { $0 + $1.candles }, stepsAnalysed: runs.reduce(0) { $0 + $1.steps },
            figures: BacktestReport.Figures(resolved: results, open: open.count, days: days), heads: heads,
            baseline: BacktestReport.Baseline(
                figures: BacktestReport.Figures(
                    resolved: baselineResults, open: runs.reduce(0) { $0 + $1.baselineOpen }, days: days),
                seed: options.baselineSeed, entryProbability: eligible == 0 ? 0 : Double(signals) / Double(eligible)),
            edge: EdgeEstimate(
                signals: results.map(\.outcome.returnR), baseline: baselineResults.map(\.outcome.returnR), seed: options.baselineSeed),
            results: results, openSignals: open)
    }
}

/// Calls a progress callback about every 0.5 % of the work, and with 1 at the end.
struct ProgressMeter {
    private let total: Int
    private let report: ((Double) -> Void)?
    private let stride: Int
    private var done = 0
    private var nextReport: Int

    init(total: Int, report: ((Double) -> Void)?) {
        self.total = total
        self.report = report
        stride = max(1, total / 200)
        nextReport = stride
    }

    mutating func advance() {
        done += 1
        if done >= nextReport, done < total, let report {
            nextReport += stride
            report(Double(done) / Double(total))
        }
    }

    func finish() { report?(1) }
}
