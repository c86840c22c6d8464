import Core

/// A USDT-M futures `markPriceUpdate` event (`<symbol>@markPrice[@1s]`). Times are Unix ms.
public struct MarkPriceUpdate: Sendable, Hashable {
    /// Always futures when set; the caller sets it, as for klines.
    public var market: Market?
    /// Upper-case exchange symbol.
    public var symbol: String
    /// `E`.
    public var eventTime: Int64
    /// `p`.
    public var markPrice: ExactDecimal
    /// `i`.
    public var indexPrice: ExactDecimal
    /// `P`, the estimated settle price (only meaningful in the last hour before funding).
    public var estimatedSettlePrice: ExactDecimal
    /// `r`, the current funding rate as a fraction (`0.00038167` is 0.038167 %); may be negative.
    public var fundingRate: ExactDecimal
    /// `T`, when the next funding happens.
    public var nextFundingTime: Int64

    public init(
        market: Market? = nil, symbol: String, eventTime: Int64, markPrice: ExactDecimal, indexPrice: ExactDecimal,
        estimatedSettlePrice: ExactDecimal, fundingRate: ExactDecimal, nextFundingTime: Int64
    ) {
        self.market = market
        self.symbol = symbol
        self.eventTime = eventTime
        self.markPrice = markPrice
        self.indexPrice = indexPrice
        self.estimatedSettlePrice = estimatedSettlePrice
        self.fundingRate = fundingRate
        self.nextFundingTime = nextFundingTime
    }
}
