/// The consistency rules every kline must pass, from a frame or a REST row.
enum KlineRules {
    /// Field names for rejects: Binance's WebSocket keys or the REST columns.
    enum Fields {
        case websocket
        case rest

        var openTime: String { self == .websocket ? "k.t" : "openTime" }
        var closeTime: String { self == .websocket ? "k.T" : "closeTime" }
        var high: String { self == .websocket ? "k.h" : "high" }
        var open: String { self == .websocket ? "k.o" : "open" }
        var close: String { self == .websocket ? "k.c" : "close" }
    }

    @inline(__always)
    static func check(
        interval: KlineInterval, openTime: Int64, closeTime: Int64,
        open: Double, high: Double, low: Double, close: Double, fields: Fields
    ) throws(FrameReject) {
        guard interval.isAligned(openTime: openTime) else { throw FrameReject(.misalignedOpenTime, field: fields.openTime) }
        guard closeTime == interval.closeTime(openTime: openTime) else {
            throw FrameReject(.closeTimeMismatch, field: fields.closeTime)
        }
        // Doubles are correctly rounded, so rounding never turns a valid order into an invalid one.
        guard high >= low else { throw FrameReject(.highBelowLow, field: fields.high) }
        guard open >= low && open <= high else { throw FrameReject(.openCloseOutsideRange, field: fields.open) }
        guard close >= low && close <= high else { throw FrameReject(.openCloseOutsideRange, field: fields.close) }
    }
}
