import Core

/// What one market and symbol produced in both passes.
struct SymbolRun {
    struct HeadTally {
        var votes = 0
        var scored = 0
        var hits = 0
        var agreed = 0
    }

    let key: SignalBook.Key
    var candles = 0
    var steps = 0
    var firstStepOpen: Int64?
    var lastStepClose: Int64?
    var resolved: [ResolvedSignal] = []
    var open: [Signal] = []
    var eligibleSteps = 0
    var heads: [HeadTally]
    /// Index into the candles and ATR of every analysed step, for the baseline pass.
    var stepIndices: [Int] = []
    var stepATRs: [Double] = []
    var baselineResolved: [ResolvedSignal] = []
    var baselineOpen = 0
}

/// A virtual signal scoring the heads that voted its direction at one step.
private struct Probe {
    var levels: TradeLevels
    var heads: UInt64
}

extension Backtester {
    func isStep(_ candle: Candle) -> Bool {
        if let from = options.from, candle.closeTime < from { return false }
        if let to = options.to, candle.closeTime >= to { return false }
        if let moments = options.moments { return moments.contains(candle.openTime) }
        let block = Int64(options.stepMinutes) * CandleInterval.oneMinute.milliseconds
        let remainder = (candle.closeTime + 1) % block
        return remainder == 0
    }

    func strategyPass(
        key: SignalBook.Key, candles: [Candle], history: [Candle] = [], derivatives: DerivativesHistory?, meter: inout ProgressMeter
    ) -> SymbolRun {
        var run = SymbolRun(key: key, heads: Array(repeating: SymbolRun.HeadTally(), count: heads.count))
        var oneMinute = CandleWindow(capacity: options.oneMinuteWindow)
        var aggregator = CandleAggregator(intervals: options.higherIntervals)
        var higher = aggregator.intervals.map { _ in CandleWindow(capacity: options.higherWindow) }
        // Stored candles of buckets that begin before the first 1m candle (which the 1m
        // candles cannot complete), each shown once it has closed.
        let first = candles.first?.openTime ?? .min
        let older = history.filter { $0.openTime < first && aggregator.intervals.contains($0.interval) }
            .sorted { ($0.closeTime, $0.interval) < ($1.closeTime, $1.interval) }
        var nextOlder = 0
        var book = SignalBook(rules: signalRules)
        var probes: [Probe] = []

        for (index, candle) in candles.enumerated() {
            meter.advance()
            run.candles += 1
            oneMinute.append(candle)
            while nextOlder < older.count, older[nextOlder].closeTime <= candle.closeTime {
                higher[aggregator.intervals.firstIndex(of: older[nextOlder].interval)!].append(older[nextOlder])
                nextOlder += 1
            }
            for closed in aggregator.add(candle) {
                higher[aggregator.intervals.firstIndex(of: closed.interval)!].append(closed)
            }
            if let resolved = book.resolve(with: candle) { run.resolved.append(resolved) }
            if !probes.isEmpty { score(&probes, with: candle, into: &run.heads) }

            guard run.candles >= options.minimumHistory, isStep(candle) else { continue }

            var windows: [CandleInterval: [Candle]] = [.oneMinute: oneMinute.candles()]
            for (slot, interval) in aggregator.intervals.enumerated() where !higher[slot].isEmpty {
                windows[interval] = higher[slot].candles()
            }
            let input = AnalysisInput(
                symbol: key.symbol, market: key.market, candles: windows, derivatives: derivatives?.at(
                    candle.closeTime, windows: options.derivatives, knownUntil: options.derivativesKnown?[candle.openTime]))
            let votes = heads.map { $0.evaluate(input) }
            let atr = self.atr(input)
            let time = candle.closeTime

            run.steps += 1
            if run.firstStepOpen == nil { run.firstStepOpen = candle.openTime }
            run.lastStepClose = time
            run.stepIndices.append(index)
            run.stepATRs.append(atr)
            let sizeable = Self.sizeable(entry: candle.close, atr: atr)
            if sizeable, book.availability(symbol: key.symbol, market: key.market, at: time) == .available {
                run.eligibleSteps += 1
            }

            let consensus = Consensus(votes: votes, rules: consensusRules)
            if case .opened(let signal) = book.propose(
                consensus, symbol: key.symbol, market: key.market, entry: candle.close, atr: atr, at: time)
            {
                for (slot, head) in heads.enumerated() where signal.agreeing.contains(head.kind) {
                    run.heads[slot].agreed += 1
                }
            }

            var longHeads: UInt64 = 0
            var shortHeads: UInt64 = 0
            for (slot, vote) in votes.enumerated() where vote.direction != .neutral {
                run.heads[slot].votes += 1
                if vote.direction == .long { longHeads |= 1 << UInt64(slot) } else { shortHeads |= 1 << UInt64(slot) }
            }
            guard options.scoreHeads, sizeable else { continue }
            for (direction, mask) in [(Direction.long, longHeads), (.short, shortHeads)] where mask != 0 {
                guard
                    let probe = Signal(
                        direction: direction, symbol: key.symbol, market: key.market, entry: candle.close, atr: atr,
                        createdAt: time, rules: signalRules)
                else { continue }
                probes.append(Probe(levels: probe.levels(winAt: signalRules.winAt), heads: mask))
            }
        }
        run.open = Array(book.openSignals.values)
        return run
    }

    func baselinePass(_ run: inout SymbolRun, candles: [Candle], meter: inout ProgressMeter) {
        let key = run.key
        let probability = run.eligibleSteps == 0 ? 0 : Double(run.resolved.count + run.open.count) / Double(run.eligibleSteps)
        var random = SplitMix64(seed: options.baselineSeed ^ SplitMix64.stableHash("\(key.market.rawValue):\(key.symbol)"))
        var book = SignalBook(rules: signalRules)
        var nextStep = 0

        for (index, candle) in candles.enumerated() {
            meter.advance()
            if let resolved = book.resolve(with: candle) { run.baselineResolved.append(resolved) }
            guard nextStep < run.stepIndices.count, run.stepIndices[nextStep] == index else { continue }
            let atr = run.stepATRs[nextStep]
            nextStep += 1
            guard Self.sizeable(entry: candle.close, atr: atr),
                book.availability(symbol: key.symbol, market: key.market, at: candle.closeTime) == .available
            else { continue }
            guard random.nextUnit() < probability else { continue }
            let direction: Direction = random.next() & 1 == 0 ? .long : .short
            if let signal = Signal(
                direction: direction, symbol: key.symbol, market: key.market, entry: candle.close, atr: atr,
                createdAt: candle.closeTime, rules: signalRules)
            {
                book.open(signal)
            }
        }
        run.baselineOpen = book.openSignals.count
    }

    static func sizeable(entry: Double, atr: Double) -> Bool {
        entry.isFinite && entry > 0 && atr.isFinite && atr > 0
    }

    /// Resolves the probes `candle` ends and credits their heads.
    private func score(_ probes: inout [Probe], with candle: Candle, into tallies: inout [SymbolRun.HeadTally]) {
        var kept = 0
        for index in probes.indices {
            let probe = probes[index]
            guard let outcome = probe.levels.resolve(with: candle) else {
                probes[kept] = probe
                kept += 1
                continue
            }
            var mask = probe.heads
            while mask != 0 {
                let slot = mask.trailingZeroBitCount
                tallies[slot].scored += 1
                if outcome.status == .won { tallies[slot].hits += 1 }
                mask &= mask - 1
            }
        }
        probes.removeLast(probes.count - kept)
    }
}
