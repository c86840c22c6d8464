import Hummingbird

/// An error answered the way Binance answers it: an HTTP status and a body
/// `{"code":-1121,"msg":"Invalid symbol."}` with Binance's code and message text.
struct BinanceError: Error, Sendable, Equatable, CustomStringConvertible {
    var status: HTTPResponse.Status
    /// Binance's error code (negative).
    var code: Int
    var message: String
    /// Seconds for a `Retry-After` header (429 and 418).
    var retryAfter: Int?

    var description: String { "BinanceError(\(status.code) \(code): \(message))" }

    /// The error body, `{"code":…,"msg":"…"}`.
    var body: BinanceJSON { .object([("code", .int(code)), ("msg", .string(message))]) }

    func response(headers: HTTPFields = [:]) -> Response {
        var fields = headers
        if let retryAfter { fields[.retryAfter] = String(retryAfter) }
        return .binanceJSON(body, status: status, headers: fields)
    }

    // MARK: Request problems (HTTP 400)

    /// -1121: the symbol is well-formed but not listed.
    static let invalidSymbol = BinanceError(status: .badRequest, code: -1121, message: "Invalid symbol.")
    /// -1120: an interval Binance does not know.
    static let invalidInterval = BinanceError(status: .badRequest, code: -1120, message: "Invalid interval.")
    /// -1023: startTime after endTime.
    static let startTimeAfterEndTime = BinanceError(
        status: .badRequest, code: -1023, message: "Start time is greater than end time.")
    /// -1128: optional parameters that cannot be combined (e.g. `symbol` with `symbols`).
    static let invalidCombination = BinanceError(
        status: .badRequest, code: -1128, message: "Combination of optional parameters invalid.")

    /// -1102: a mandatory parameter is missing or empty.
    static func mandatoryParameter(_ name: String) -> BinanceError {
        BinanceError(
            status: .badRequest, code: -1102,
            message: "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }

    /// -1100: a parameter holds characters outside its legal range (a regular expression).
    static func illegalCharacters(_ name: String, legalRange: String) -> BinanceError {
        BinanceError(
            status: .badRequest, code: -1100,
            message: "Illegal characters found in parameter '\(name)'; legal range is '\(legalRange)'.")
    }

    /// -1130: a parameter has the right characters but an invalid value (e.g. limit out of range).
    static func invalidParameterValue(_ name: String) -> BinanceError {
        BinanceError(status: .badRequest, code: -1130, message: "Data sent for parameter '\(name)' is not valid.")
    }

    // MARK: Rate limits

    /// 429 -1003: the IP's request weight for the minute is used up.
    static func tooManyRequests(ip: String, limit: Int, retryAfter: Int) -> BinanceError {
        BinanceError(
            status: .tooManyRequests, code: -1003,
            message: "Too many requests; current limit of IP(\(ip)) request weight per 1 MINUTE is \(limit). "
                + "Please use WebSocket Streams for live updates to avoid polling the API.",
            retryAfter: retryAfter)
    }

    /// 418 -1003: the IP kept sending after a 429 and is banned until `untilMillis`.
    static func banned(ip: String, untilMillis: Int64, retryAfter: Int) -> BinanceError {
        BinanceError(
            status: HTTPResponse.Status(code: 418, reasonPhrase: "I'm a teapot"), code: -1003,
            message: "Way too many requests; IP(\(ip)) banned until \(untilMillis). "
                + "Please use WebSocket Streams for live updates to avoid bans.",
            retryAfter: retryAfter)
    }

    // MARK: Injected server faults

    /// The body Binance sends with an arbitrary (injected) status. A 429 or 418 carries
    /// `Retry-After` as Binance's do: `retryAfter` seconds (the fault's remaining time, at least 1).
    static func serverFault(status: Int, retryAfter: Int) -> BinanceError {
        let httpStatus = HTTPResponse.Status(code: status)
        switch status {
        case 429:
            return BinanceError(
                status: httpStatus, code: -1003,
                message: "Too many requests; please use WebSocket Streams for live updates to avoid polling the API.",
                retryAfter: max(1, retryAfter))
        case 418:
            return BinanceError(
                status: httpStatus, code: -1003,
                message: "Way too many requests; please use WebSocket Streams for live updates to avoid bans.",
                retryAfter: max(1, retryAfter))
        case 408:
            return BinanceError(
                status: httpStatus, code: -1007,
                message: "Timeout waiting for response from backend server. Send status unknown; execution status unknown.")
        case 503:
            return BinanceError(status: httpStatus, code: -1001, message: "Service Unavailable.")
        case 500:
            return BinanceError(
                status: httpStatus, code: -1000, message: "An unknown error occurred while processing the request.")
        default:
            return BinanceError(
                status: httpStatus, code: -1001, message: "Internal error; unable to process your request. Please try again.")
        }
    }
}
