import Foundation

/// Deterministic synthetic Binance markets: realistic 1m klines for generated symbols plus the traps a
/// symbol ranking must handle. Same inputs → bit-identical output (own PRNG, no system randomness).
///
/// Normal symbols: `count` USDT pairs — BTCUSDT, ETHUSDT, then generated names ("KOVAUSDT", "ZEMUSDT", …) —
/// with prices from 0.0001 to 80,000 (tick/step precision following the price), 24 h quote volumes from
/// ~10^5 to ~10^10 USDT, volatility clustering, a market-wide factor and regimes (trend, range, breakout,
/// crash). Spot and futures symbols of one name share their price path; futures trade ~3× the volume.
///
/// Traps, added to the `count` normal symbols whenever `count ≥ 1`, all with volumes that put them near the
/// top of a naive ranking:
/// - spot: BTCUPUSDT and BTCDOWNUSDT (leveraged tokens: permissions ["LEVERAGED"], ±3× BTC's returns);
///   USDCUSDT, FDUSDUSDT, TUSDUSDT (stablecoins, price ≈ 1, the largest quote volumes); ETHBTC and BNBETH
///   (non-USDT quotes: small quote volumes in BTC/ETH but huge base volumes and trade counts); one generated
///   symbol in status BREAK (heavy trading until 6 h before `start`, then halted: flat, zero-volume candles).
/// - futures: USDCUSDT perpetual; the BREAK symbol; BTCUSDT_YYMMDD, the CURRENT_QUARTER delivery contract
///   (last Friday of the quarter, 08:00 UTC, after the data ends) at a basis over the BTCUSDT perpetual.
public enum SyntheticMarket {
    /// Generates a market.
    /// - Parameters:
    ///   - count: number of normal symbols (traps come in addition); ≤ 0 gives an empty market.
    ///   - seed: all randomness derives from it.
    ///   - start: Unix ms of the session start; klines cover `days` days before the minute of `start`
    ///     plus one day from it, every minute, without gaps.
    /// - Returns: symbols sorted by name, 1m series keyed by symbol, their scales, and for futures the
    ///   mark price / funding / open interest / long-short series derived from the klines.
    public static func generate(market: ReplayMarket, count: Int, seed: UInt64, start: Int64, days: Int)
        -> (symbols: [SymbolInfo], series: [String: [Kline]], scales: [String: KlineScales], futures: FuturesExtras?)
    {
        let history = min(max(days, 0), 3_650)
        let firstOpen = floorDivide(start, 60_000) * 60_000 - Int64(history) * 86_400_000
        let minutes = (history + 1) * 1_440
        let specs = specs(market: market, count: min(max(count, 0), 100_000), seed: seed, firstOpen: firstOpen,
                          minutes: minutes)
        let marketPath = marketFactor(seed: seed, minutes: minutes)
        var leader: SyntheticPath?
        var series: [String: [Kline]] = [:]
        var scales: [String: KlineScales] = [:]
        series.reserveCapacity(specs.count)
        scales.reserveCapacity(specs.count)
        for spec in specs {
            let path = path(for: spec, minutes: minutes, firstOpen: firstOpen, market: marketPath, leader: leader)
            if leader == nil, spec.kind == .normal { leader = path }
            series[spec.info.symbol] = klines(for: spec, path: path, firstOpen: firstOpen)
            scales[spec.info.symbol] = spec.info.scales
        }
        let symbols = specs.map(\.info).sorted { $0.symbol < $1.symbol }
        let futures = market == .futures ? FuturesExtras.derived(symbols: symbols, series: series, seed: seed) : nil
        return (symbols, series, scales, futures)
    }
}
