import Core

/// Which Binance symbols may be tracked at all.
///
/// - Spot: status `TRADING`, quote asset USDT, spot trading allowed, not a leveraged token
///   (`LEVERAGED` among its permissions or permission sets), base asset not excluded.
/// - Futures: contract type `PERPETUAL` (delivery contracts are out), quote asset USDT,
///   status `TRADING`, base asset not excluded — a USDC/USDT perpetual tracks a peg, not a
///   market, so the stablecoin list applies to both markets.
public struct Eligibility: Sendable {
    /// Upper-case base assets never tracked: stablecoins and fiat (`symbols.excluded_bases`).
    public var excludedBases: Set<String>

    public init(excludedBases: Set<String>) {
        self.excludedBases = Set(excludedBases.map { $0.uppercased() })
    }

    /// Why `symbol` is not eligible on `market`, or nil when it is.
    public func rejection(of symbol: ExchangeSymbol, market: Market) -> String? {
        guard symbol.status == "TRADING" else { return "status \(symbol.status)" }
        guard symbol.quoteAsset == "USDT" else { return "quote asset \(symbol.quoteAsset)" }
        if excludedBases.contains(symbol.baseAsset.uppercased()) { return "excluded base asset \(symbol.baseAsset)" }
        switch market {
        case .spot:
            let permissions = symbol.allPermissions
            if permissions.contains("LEVERAGED") { return "leveraged token" }
            // Older answers lack the flag; then the SPOT permission decides.
            guard symbol.isSpotTradingAllowed ?? permissions.contains("SPOT") else { return "spot trading not allowed" }
        case .futures:
            guard symbol.contractType == "PERPETUAL" else { return "contract type \(symbol.contractType ?? "missing")" }
        }
        return nil
    }

    /// The eligible symbols of `market`, in the order given.
    public func eligible(_ symbols: [ExchangeSymbol], market: Market) -> [ExchangeSymbol] {
        symbols.filter { rejection(of: $0, market: market) == nil }
    }
}
