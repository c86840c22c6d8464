import Foundation

/// The futures-only series of a market — premium (mark vs index), funding, open interest and the global
/// long/short account ratio — for every symbol, deterministic from its 1m klines and a seed.
///
/// Everything is sampled on a 5-minute grid aligned to the epoch; the sample at time t only reflects
/// klines that closed before t, so nothing leaks from the future. The premium follows short-term momentum
/// and taker imbalance, funding is Binance's formula over it (positive premium ↔ positive funding), open
/// interest drifts with traded volume, and the crowd leans long after rises and short after falls.
public struct FuturesExtras: Sendable {
    /// One symbol's series.
    struct Series: Sendable {
        var priceScale: Int
        var volumeScale: Int
        /// Perpetuals pay funding; delivery contracts don't.
        var perpetual: Bool
        /// Per-symbol salt for the mark price's second-by-second jitter.
        var salt: UInt64
        /// Time of sample 0 (a multiple of five minutes).
        var start: Int64
        /// Premium of mark over index, in 1e-8 (fraction), per sample.
        var premium: [Int32]
        /// premiumPrefix[i] = sum of premium[0..<i].
        var premiumPrefix: [Int64]
        /// Open interest in volume-scale units, per sample.
        var openInterest: [Int64]
        /// Share of accounts net long, in 1e-4, per sample.
        var longShare: [UInt16]
        /// Time of the first funding event (a multiple of eight hours).
        var fundingStart: Int64
        /// Funding rate of each event, in 1e-8.
        var fundingRate: [Int32]
        /// Mark price at each event, in 1e-8.
        var fundingMark: [Int64]

        var lastSampleTime: Int64 { start + Int64(premium.count - 1) * FuturesExtras.sampleMillis }

        /// Index of the latest sample at or before `time`; nil before the first.
        func sampleIndex(at time: Int64) -> Int? {
            guard time >= start, !premium.isEmpty else { return nil }
            return Int(min((time - start) / FuturesExtras.sampleMillis, Int64(premium.count - 1)))
        }

        /// Mean premium (fraction) of the samples in (from, to].
        func meanPremium(after from: Int64, through to: Int64) -> Double? {
            guard let high = sampleIndex(at: to) else { return nil }
            let low = from < start ? 0 : (sampleIndex(at: from) ?? -1) + 1
            guard low <= high else { return nil }
            return Double(premiumPrefix[high + 1] - premiumPrefix[low]) / Double(high - low + 1) * 1e-8
        }
    }

    static let sampleMillis: Int64 = 300_000
    static let fundingMillis: Int64 = 28_800_000
    /// Binance's interest rate per funding period (0.01 %), and the clamp around it.
    static let interestRate = 0.0001
    static let interestClamp = 0.0005
    static let fundingCap = 0.0075

    let series: [String: Series]

    init(series: [String: Series]) {
        self.series = series
    }

    /// Series for every symbol that has klines, deterministic from the klines and `seed` (real archives
    /// lack these series). Symbols whose contractType mentions a quarter or month are delivery contracts.
    public static func derived(symbols: [SymbolInfo], series: [String: [Kline]], seed: UInt64) -> FuturesExtras {
        var result: [String: Series] = [:]
        for info in symbols {
            guard var klines = series[info.symbol], !klines.isEmpty else { continue }
            if zip(klines, klines.dropFirst()).contains(where: { $0.openTime > $1.openTime }) {
                klines.sort { $0.openTime < $1.openTime }
            }
            let delivery = info.contractType.contains("QUARTER") || info.contractType.contains("MONTH")
            result[info.symbol] = derive(info: info, klines: klines, perpetual: !delivery, seed: seed)
        }
        return FuturesExtras(series: result)
    }

    /// All symbols of several parts; a symbol present in more than one keeps the last part's series.
    public static func merged(_ parts: [FuturesExtras]) -> FuturesExtras {
        var all: [String: Series] = [:]
        for part in parts {
            all.merge(part.series) { _, later in later }
        }
        return FuturesExtras(series: all)
    }
}
