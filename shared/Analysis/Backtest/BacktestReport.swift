import Core

/// The result of a ``Backtester`` run. Encodes to JSON with snake_case keys; the strategy's
/// ``Figures`` sit at the top level next to `from`, `to`, `symbols`, `candles_processed`,
/// `steps_analysed`, `heads`, `baseline`, `results` and `open_signals`.
///
/// The same input, heads, rules and options always give an equal report; for byte-identical
/// JSON encode with `.sortedKeys` (Foundation's key order is otherwise not fixed).
public struct BacktestReport: Sendable, Hashable, Codable {
    /// Performance figures of a set of signals.
    ///
    /// Only resolved signals enter the rates and R sums; signals still open when the data ends
    /// are counted in `open`. `maxDrawdownR` is the largest peak-to-trough fall (≥ 0) of
    /// cumulative R, with signals taken in order of resolution time and the curve starting at
    /// 0. `signalsPerDay` divides `signals` by the analysed span in days (all symbols
    /// together).
    public struct Figures: Sendable, Hashable, Codable {
        public var signals: Int
        public var won: Int
        public var lost: Int
        public var expired: Int
        public var open: Int
        /// won / (won + lost + expired); 0 when nothing resolved.
        public var winRate: Double
        /// totalR / resolved; 0 when nothing resolved.
        public var meanR: Double
        public var totalR: Double
        public var maxDrawdownR: Double
        public var signalsPerDay: Double

        public init(
            signals: Int, won: Int, lost: Int, expired: Int, open: Int, winRate: Double, meanR: Double, totalR: Double,
            maxDrawdownR: Double, signalsPerDay: Double
        ) {
            self.signals = signals
            self.won = won
            self.lost = lost
            self.expired = expired
            self.open = open
            self.winRate = winRate
            self.meanR = meanR
            self.totalR = totalR
            self.maxDrawdownR = maxDrawdownR
            self.signalsPerDay = signalsPerDay
        }

        /// Figures of `resolved` (in resolution order) plus `open` unresolved signals over
        /// `days` analysed days.
        public init(resolved: [ResolvedSignal], open: Int, days: Double) {
            var won = 0, lost = 0, expired = 0
            var total = 0.0, peak = 0.0, drawdown = 0.0
            for item in resolved {
                switch item.outcome.status {
                case .won: won += 1
                case .lost: lost += 1
                case .expired: expired += 1
                }
                total += item.outcome.returnR
                peak = max(peak, total)
                drawdown = max(drawdown, peak - total)
            }
            let count = resolved.count
            self.init(
                signals: count + open, won: won, lost: lost, expired: expired, open: open,
                winRate: count == 0 ? 0 : Double(won) / Double(count), meanR: count == 0 ? 0 : total / Double(count),
                totalR: total, maxDrawdownR: drawdown, signalsPerDay: days > 0 ? Double(count + open) / days : 0)
        }

        enum CodingKeys: String, CodingKey {
            case signals, won, lost, expired, open
            case winRate = "win_rate"
            case meanR = "mean_r"
            case totalR = "total_r"
            case maxDrawdownR = "max_drawdown_r"
            case signalsPerDay = "signals_per_day"
        }
    }

    /// How one head's directional votes played out.
    ///
    /// Every long or short vote the head cast at an analysed step (floors or not, signal or
    /// not) is scored by a *probe*: a virtual signal in the vote's direction opened at that
    /// step's close with the run's stop, targets and expiry (no cooldown, no one-open rule),
    /// resolved by the same rule as real signals. `hitRate` = `hits` / `scored`, where
    /// `scored` counts probes that resolved before the data ended and `hits` those that were
    /// won. With the default 1.5 ATR stop and 2R target a coin flip scores about 1/3, which is
    /// the bar a head has to clear. Steps without a usable ATR are not probed.
    public struct HeadScore: Sendable, Hashable, Codable {
        /// The head's name (``HeadKind`` raw value).
        public var head: String
        /// Directional (long or short) votes cast.
        public var votes: Int
        public var scored: Int
        public var hits: Int
        /// hits / scored; 0 when nothing was scored.
        public var hitRate: Double
        /// Times the head was among the agreeing heads of a signal that was opened.
        public var agreedSignals: Int

        public init(head: String, votes: Int, scored: Int, hits: Int, hitRate: Double, agreedSignals: Int) {
            self.head = head
            self.votes = votes
            self.scored = scored
            self.hits = hits
            self.hitRate = hitRate
            self.agreedSignals = agreedSignals
        }

        enum CodingKeys: String, CodingKey {
            case head, votes, scored, hits
            case hitRate = "hit_rate"
            case agreedSignals = "agreed_signals"
        }
    }

    /// The same figures for random entries (see ``Backtester``): same stop, targets, expiry,
    /// cooldown and one-open rule, directions and timing drawn from `seed`.
    public struct Baseline: Sendable, Hashable, Codable {
        public var figures: Figures
        public var seed: UInt64
        /// Per analysed step, the chance of a random entry on a symbol: the strategy's
        /// signals ÷ its eligible steps on that symbol; here the mean over symbols weighted by
        /// eligible steps.
        public var entryProbability: Double

        public init(figures: Figures, seed: UInt64, entryProbability: Double) {
            self.figures = figures
            self.seed = seed
            self.entryProbability = entryProbability
        }

        enum CodingKeys: String, CodingKey {
            case seed
            case entryProbability = "entry_probability"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            figures = try Figures(from: decoder)
            seed = try container.decode(UInt64.self, forKey: .seed)
            entryProbability = try container.decode(Double.self, forKey: .entryProbability)
        }

        public func encode(to encoder: any Encoder) throws {
            try figures.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seed, forKey: .seed)
            try container.encode(entryProbability, forKey: .entryProbability)
        }
    }

    /// What one market and symbol contributed.
    public struct SymbolSummary: Sendable, Hashable, Codable {
        public var market: Market
        public var symbol: String
        /// 1m candles walked.
        public var candles: Int
        /// Steps analysed (heads evaluated).
        public var steps: Int
        public var signals: Int

        public init(market: Market, symbol: String, candles: Int, steps: Int, signals: Int) {
            self.market = market
            self.symbol = symbol
            self.candles = candles
            self.steps = steps
            self.signals = signals
        }
    }

    /// Open time of the first analysed 1m candle (Unix ms); nil when nothing was analysed.
    public var from: Int64?
    /// Close time + 1 of the last analysed 1m candle (Unix ms); nil when nothing was analysed.
    public var to: Int64?
    public var symbols: [SymbolSummary]
    public var candlesProcessed: Int
    public var stepsAnalysed: Int
    /// The strategy's figures.
    public var figures: Figures
    /// One entry per head, in the order the heads were given.
    public var heads: [HeadScore]
    public var baseline: Baseline
    /// Signals against the baseline: the difference in mean R with its 95 % bootstrap interval.
    public var edge: EdgeEstimate
    /// Every resolved signal with its outcome, in resolution order.
    public var results: [ResolvedSignal]
    /// Signals still open when the data ended, in creation order.
    public var openSignals: [Signal]

    public init(
        from: Int64?, to: Int64?, symbols: [SymbolSummary], candlesProcessed: Int, stepsAnalysed: Int,
        figures: Figures, heads: [HeadScore], baseline: Baseline, edge: EdgeEstimate, results: [ResolvedSignal], openSignals: [Signal]
    ) {
        self.edge = edge
        self.from = from
        self.to = to
        self.symbols = symbols
        self.candlesProcessed = candlesProcessed
        self.stepsAnalysed = stepsAnalysed
        self.figures = figures
        self.heads = heads
        self.baseline = baseline
        self.results = results
        self.openSignals = openSignals
    }

    enum CodingKeys: String, CodingKey {
        case from, to, symbols
        case candlesProcessed = "candles_processed"
        case stepsAnalysed = "steps_analysed"
        case heads, baseline, edge, results
        case openSignals = "open_signals"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        from = try container.decodeIfPresent(Int64.self, forKey: .from)
        to = try container.decodeIfPresent(Int64.self, forKey: .to)
        symbols = try container.decode([SymbolSummary].self, forKey: .symbols)
        candlesProcessed = try container.decode(Int.self, forKey: .candlesProcessed)
        stepsAnalysed = try container.decode(Int.self, forKey: .stepsAnalysed)
        figures = try Figures(from: decoder)
        heads = try container.decode([HeadScore].self, forKey: .heads)
        baseline = try container.decode(Baseline.self, forKey: .baseline)
        edge = try container.decode(EdgeEstimate.self, forKey: .edge)
        results = try container.decode([ResolvedSignal].self, forKey: .results)
        openSignals = try container.decode([Signal].self, forKey: .openSignals)
    }

    public func encode(to encoder: any Encoder) throws {
        try figures.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(symbols, forKey: .symbols)
        try container.encode(candlesProcessed, forKey: .candlesProcessed)
        try container.encode(stepsAnalysed, forKey: .stepsAnalysed)
        try container.encode(heads, forKey: .heads)
        try container.encode(baseline, forKey: .baseline)
        try container.encode(edge, forKey: .edge)
        try container.encode(results, forKey: .results)
        try container.encode(openSignals, forKey: .openSignals)
    }
}
