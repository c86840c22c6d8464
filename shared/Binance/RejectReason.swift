/// Why a frame or a REST kline row was rejected: one stable, low-cardinality label per cause,
/// meant as a metrics dimension (`alphapulse.ingest.rejects{reason="high_below_low"}`).
///
/// A struct over a private enum, so reasons can be added without breaking exhaustive switches
/// in callers; compare with `==` or match with `case .highBelowLow:`.
public struct RejectReason: Sendable, Hashable, RawRepresentable, CustomStringConvertible, CaseIterable {
    private enum Code: String, CaseIterable {
        case malformedJSON = "malformed_json"
        case unknownEvent = "unknown_event"
        case unknownStream = "unknown_stream"
        case missingField = "missing_field"
        case duplicateField = "duplicate_field"
        case wrongType = "wrong_type"
        case badNumber = "bad_number"
        case badSymbol = "bad_symbol"
        case badInterval = "bad_interval"
        case badRow = "bad_row"
        case negativePrice = "negative_price"
        case negativeVolume = "negative_volume"
        case nanPrice = "nan_price"
        case highBelowLow = "high_below_low"
        case openCloseOutsideRange = "open_close_outside_range"
        case misalignedOpenTime = "misaligned_open_time"
        case closeTimeMismatch = "close_time_mismatch"
        case symbolMismatch = "symbol_mismatch"
        case streamMismatch = "stream_mismatch"
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    public init?(rawValue: String) {
        guard let code = Code(rawValue: rawValue) else { return nil }
        self.code = code
    }

    /// The metrics label, e.g. `high_below_low`. Stable across releases.
    public var rawValue: String { code.rawValue }
    public var description: String { code.rawValue }
    public static var allCases: [RejectReason] { Code.allCases.map(RejectReason.init) }

    /// Not JSON (truncated, garbled, nested too deep), or not the shape of any Binance frame.
    public static let malformedJSON = RejectReason(.malformedJSON)
    /// An event type (`e`) this parser does not handle, e.g. `aggTrade`, or no `e` at all.
    public static let unknownEvent = RejectReason(.unknownEvent)
    /// A combined-stream name that is not a kline or mark-price stream.
    public static let unknownStream = RejectReason(.unknownStream)
    /// A required field is absent.
    public static let missingField = RejectReason(.missingField)
    /// A field appears twice in one object.
    public static let duplicateField = RejectReason(.duplicateField)
    /// A field has the wrong JSON type (a string where an object belongs, `x` not a boolean…).
    public static let wrongType = RejectReason(.wrongType)
    /// Number text that is not a plain decimal (`-?digits[.digits]`), an integer field with a
    /// fraction, a value out of range, or a negative trade count.
    public static let badNumber = RejectReason(.badNumber)
    /// A symbol that is empty, too long or has characters Binance symbols never have.
    public static let badSymbol = RejectReason(.badSymbol)
    /// A kline interval Binance does not have.
    public static let badInterval = RejectReason(.badInterval)
    /// A REST kline row that is not an array of 12 values.
    public static let badRow = RejectReason(.badRow)
    /// A negative open, high, low, close, mark, index or settle price.
    public static let negativePrice = RejectReason(.negativePrice)
    /// A negative base or quote volume (taker-buy ones included).
    public static let negativeVolume = RejectReason(.negativeVolume)
    /// `NaN` or `Infinity` in any decimal field (prices, volumes, funding rate).
    public static let nanPrice = RejectReason(.nanPrice)
    /// `h` below `l`.
    public static let highBelowLow = RejectReason(.highBelowLow)
    /// `o` or `c` outside `l...h`.
    public static let openCloseOutsideRange = RejectReason(.openCloseOutsideRange)
    /// An open time that is not on a whole minute (whole second for `1s`), or not the first
    /// day of a month for `1M`.
    public static let misalignedOpenTime = RejectReason(.misalignedOpenTime)
    /// `T` is not `t + interval - 1 ms`.
    public static let closeTimeMismatch = RejectReason(.closeTimeMismatch)
    /// The stream name's symbol, the payload's `s` and the kline's `k.s` disagree.
    public static let symbolMismatch = RejectReason(.symbolMismatch)
    /// The stream name's kind or interval disagrees with the payload (a kline on a
    /// mark-price stream, a `5m` kline on a `kline_1m` stream).
    public static let streamMismatch = RejectReason(.streamMismatch)
}

/// A rejected frame or REST row: the reason, and the field at fault where there is one.
public struct FrameReject: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: RejectReason
    /// The field at fault in Binance's spelling (`k.h`, `data`, `stream`), or for REST rows the
    /// column name (`high`); nil for frame-level problems.
    public var field: String?

    public init(_ reason: RejectReason, field: String? = nil) {
        self.reason = reason
        self.field = field
    }

    public var description: String {
        guard let field else { return "frame rejected: \(reason)" }
        return "frame rejected: \(reason) (\(field))"
    }
}
