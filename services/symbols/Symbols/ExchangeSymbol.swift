/// One symbol of a Binance `exchangeInfo` answer, spot or USDT-M futures: only the fields the
/// ranking reads. Absent optional fields are nil, never defaulted to "allowed".
public struct ExchangeSymbol: Sendable, Hashable, Decodable {
    public var symbol: String
    public var status: String
    public var baseAsset: String
    public var quoteAsset: String
    /// Spot only.
    public var isSpotTradingAllowed: Bool?
    /// Spot: the legacy flat permission list (Binance now often sends it empty).
    public var permissions: [String]?
    /// Spot: the current form, a list of permission sets.
    public var permissionSets: [[String]]?
    /// Futures only: PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER, …
    public var contractType: String?

    public init(
        symbol: String, status: String, baseAsset: String, quoteAsset: String, isSpotTradingAllowed: Bool? = nil,
        permissions: [String]? = nil, permissionSets: [[String]]? = nil, contractType: String? = nil
    ) {
        self.symbol = symbol
        self.status = status
        self.baseAsset = baseAsset
        self.quoteAsset = quoteAsset
        self.isSpotTradingAllowed = isSpotTradingAllowed
        self.permissions = permissions
        self.permissionSets = permissionSets
        self.contractType = contractType
    }

    /// Every permission the symbol carries, in either form.
    public var allPermissions: Set<String> {
        Set((permissions ?? []) + (permissionSets ?? []).flatMap { $0 })
    }
}

/// The body of `GET /api/v3/exchangeInfo` or `GET /fapi/v1/exchangeInfo`, symbols only.
struct ExchangeInfo: Decodable {
    var symbols: [ExchangeSymbol]
}
