import Core

extension Signal {
    /// Checks one later candle against the signal; returns the outcome if it ends here.
    ///
    /// Meant for consecutive 1m candles. Candles of another symbol or market, candles that do
    /// not open strictly after `createdAt`, and candles with non-finite prices are ignored
    /// (nil). Within a candle, in this order (long shown; short is mirrored):
    /// 1. it opens at or below the stop (a gap through it): **lost, filled at the open**, which
    ///    is worse than the stop, as a real stop order would be;
    /// 2. it opens at or above the winning target: **won, filled at the target** (not the
    ///    better open, to stay conservative);
    /// 3. low ≤ stop: **lost at the stop**. When the same candle also reaches the target, the
    ///    stop wins, since 1m data cannot tell which came first;
    /// 4. high ≥ target: **won at the target**;
    /// 5. its close time ≥ `expiresAt`: **expired at its close**.
    public func resolve(with candle: Candle, winAt: SignalRules.WinningTarget = .target1) -> Outcome? {
        guard candle.symbol == symbol, candle.market == market else { return nil }
        return levels(winAt: winAt).resolve(with: candle)
    }

    /// Walks `candles` (oldest first) until the signal ends; nil while it is still open.
    public func resolve(
        _ candles: some Sequence<Candle>, winAt: SignalRules.WinningTarget = .target1
    ) -> Outcome? {
        for candle in candles {
            if let outcome = resolve(with: candle, winAt: winAt) { return outcome }
        }
        return nil
    }

    func levels(winAt: SignalRules.WinningTarget) -> TradeLevels {
        TradeLevels(
            isLong: direction == .long, entry: entry, stop: stop, target: target(winAt), risk: risk,
            createdAt: createdAt, expiresAt: expiresAt)
    }
}

/// The price levels and times that decide an outcome. Shared by ``Signal`` and the
/// backtest's per-head probes so both resolve by exactly the same rule.
struct TradeLevels: Sendable, Hashable {
    var isLong: Bool
    var entry: Double
    var stop: Double
    var target: Double
    var risk: Double
    var createdAt: Int64
    var expiresAt: Int64

    /// See ``Signal/resolve(with:winAt:)`` for the rule.
    func resolve(with candle: Candle) -> Outcome? {
        guard candle.openTime > createdAt,
            candle.open.isFinite, candle.high.isFinite, candle.low.isFinite, candle.close.isFinite
        else { return nil }
        if isLong {
            if candle.open <= stop { return outcome(.lost, candle, candle.open) }
            if candle.open >= target { return outcome(.won, candle, target) }
            if candle.low <= stop { return outcome(.lost, candle, stop) }
            if candle.high >= target { return outcome(.won, candle, target) }
        } else {
            if candle.open >= stop { return outcome(.lost, candle, candle.open) }
            if candle.open <= target { return outcome(.won, candle, target) }
            if candle.high >= stop { return outcome(.lost, candle, stop) }
            if candle.low <= target { return outcome(.won, candle, target) }
        }
        if candle.closeTime >= expiresAt { return outcome(.expired, candle, candle.close) }
        return nil
    }

    private func outcome(_ status: Outcome.Status, _ candle: Candle, _ price: Double) -> Outcome {
        let move = isLong ? price - entry : entry - price
        return Outcome(status: status, resolvedAt: candle.closeTime, exitPrice: price, returnR: move / risk)
    }
}
