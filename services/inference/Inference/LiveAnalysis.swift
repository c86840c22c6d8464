import Analysis
import Core

/// The decisions of one live analysis, with no I/O: the same steps the backtest takes at a
/// candle, in the same order — the symbol's open signal is resolved with the 1m candles up to
/// the moment first, then the consensus of the moment may open a new signal.
public struct LiveAnalysis: Sendable {
    public var analyzer: Analyzer
    public var signalRules: SignalRules
    public var stopATR: StopATR
    public var windows = AnalysisWindows.standard
    public var derivativesWindows = DerivativesWindows.standard

    public init(analyzer: Analyzer, signalRules: SignalRules, stopATR: StopATR) {
        self.analyzer = analyzer
        self.signalRules = signalRules
        self.stopATR = stopATR
    }

    /// The input at `moment`: `oneMinute` (ending with the moment's candle) and the complete
    /// higher-timeframe candles, as the backtest windows them (an empty timeframe is left out).
    public func input(
        symbol: String, market: Market, oneMinute: [Candle], higher: [CandleInterval: [Candle]], derivatives: DerivativesHistory? = nil
    ) -> AnalysisInput {
        var candles: [CandleInterval: [Candle]] = [.oneMinute: Array(oneMinute.suffix(windows.oneMinute))]
        for (interval, list) in higher where !list.isEmpty { candles[interval] = Array(list.suffix(windows.higher)) }
        // Futures only, read at the moment's close exactly as the backtest reads it.
        let moment = oneMinute.last?.closeTime
        let known = market == .futures ? moment.flatMap { derivatives?.at($0, windows: derivativesWindows) } : nil
        return AnalysisInput(symbol: symbol, market: market, candles: candles, derivatives: known)
    }

    /// Heads that abstained for want of data (neutral, confidence 0, probability ½: `Vote.missingData`).
    public static func missingHeads(_ consensus: Consensus) -> [String] {
        consensus.votes.filter { $0.direction == .neutral && $0.confidence == 0 && $0.probability == 0.5 }.map(\.head.rawValue)
    }

    /// What the analysis at `candle` (the moment's 1m candle) decides, given the symbol's signal
    /// state and the 1m candles after the open signal's moment up to and including `candle`.
    public func decide(
        consensus: Consensus, atr: Double, candle: Candle, state: SignalState, resolutionCandles: [Candle]
    ) -> SignalDecision {
        let key = SignalBook.Key(market: candle.market, symbol: candle.symbol)
        var book = SignalBook(
            rules: signalRules, openSignals: state.open.map { [$0.signal] } ?? [],
            lastSignalAt: state.lastSignalAt.map { [key: $0] } ?? [:])
        var resolved: ResolvedSignal?
        if let open = state.open?.signal {
            for later in resolutionCandles where later.closeTime > open.createdAt && later.openTime <= candle.openTime {
                if let done = book.resolve(with: later) {
                    resolved = done
                    break
                }
            }
        }
        var opened: Signal?
        if candle.close.isFinite, candle.close > 0, atr.isFinite, atr > 0,
           case .opened(let signal) = book.propose(
               consensus, symbol: candle.symbol, market: candle.market, entry: candle.close, atr: atr, at: candle.closeTime) {
            opened = signal
        }
        return SignalDecision(consensus: consensus, resolved: resolved, opened: opened)
    }
}
