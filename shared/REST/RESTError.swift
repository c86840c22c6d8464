import Foundation

/// An error thrown by ``RESTClient``.
///
/// Switch on ``code`` to decide what to do; the other properties carry the native detail
/// (libcurl's `CURLcode` and error text, the HTTP status, `Retry-After`, a body snippet).
/// `description` is short and safe to log: it names the method, host and path but never the
/// query string (which may hold a signature) or any header. `debugDescription` has everything
/// except headers.
public struct RESTError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong. New codes may be added in later versions.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL, invalidRequest, connectFailed, timeout, httpStatus, rateLimited, banned, decoding, cancelled, transport, budget
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The request's URL is malformed or not http(s).
        public static let invalidURL = Code(.invalidURL)
        /// The request cannot be sent as given, e.g. a header containing a line break.
        public static let invalidRequest = Code(.invalidRequest)
        /// No connection could be made (refused, unreachable, DNS failure); nothing was sent.
        public static let connectFailed = Code(.connectFailed)
        /// The connect timeout or the per-attempt total timeout expired.
        public static let timeout = Code(.timeout)
        /// The server answered with a non-2xx status (other than 429 and 418); see ``status``.
        public static let httpStatus = Code(.httpStatus)
        /// HTTP 429: the server asked us to slow down for ``retryAfter``, longer than the
        /// client may wait, or retries were exhausted.
        public static let rateLimited = Code(.rateLimited)
        /// HTTP 418: the IP is banned until ``bannedUntil``; nothing is sent until then.
        public static let banned = Code(.banned)
        /// The response body could not be decoded into the requested type.
        public static let decoding = Code(.decoding)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// Any other transfer failure (connection reset, bad response, body too large …).
        public static let transport = Code(.transport)
        /// The shared request budget (``RequestBudget``) could not be consulted; nothing was sent.
        public static let budget = Code(.budget)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The request as `METHOD scheme://host/path`, without query string.
    public var request: String
    /// The libcurl result code (`CURLcode`), when libcurl reported the failure.
    public var curlCode: Int?
    /// libcurl's error buffer text for ``curlCode``.
    public var curlMessage: String?
    /// The HTTP status of the last response, if one arrived.
    public var status: Int?
    /// The `Retry-After` the server sent (or the default assumed) for 429 and 418.
    public var retryAfter: Duration?
    /// For ``Code/banned``: when the ban ends (wall clock).
    public var bannedUntil: Date?
    /// The start of the response body (up to 256 bytes, lossy UTF-8), for HTTP and decoding errors.
    public var bodySnippet: String?
    /// Further detail, e.g. the decoding error's coding path and message.
    public var detail: String?
    /// How many transfers were attempted before giving up (0 if none was sent).
    public var attempts: Int
    /// Where the error was created.
    public var file: String
    /// Where the error was created.
    public var line: Int

    init(
        _ code: Code,
        request: String,
        curlCode: Int? = nil,
        curlMessage: String? = nil,
        status: Int? = nil,
        retryAfter: Duration? = nil,
        bannedUntil: Date? = nil,
        bodySnippet: String? = nil,
        detail: String? = nil,
        attempts: Int = 0,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.request = request
        self.curlCode = curlCode
        self.curlMessage = curlMessage
        self.status = status
        self.retryAfter = retryAfter
        self.bannedUntil = bannedUntil
        self.bodySnippet = bodySnippet
        self.detail = detail
        self.attempts = attempts
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "RESTError.\(code) (\(request))"
        switch code {
        case .httpStatus:
            if let status { text += ": HTTP \(status)" }
        case .rateLimited:
            if let retryAfter { text += ": retry after \(retryAfter.seconds) s" }
        case .banned:
            if let bannedUntil { text += ": banned until \(bannedUntil.formatted(.iso8601))" }
        case .decoding, .budget:
            if let detail { text += ": \(detail)" }
        case .connectFailed, .timeout, .transport:
            if let curlCode { text += ": curl \(curlCode)" }
        default:
            break
        }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }

    public var debugDescription: String {
        var parts = ["code: \(code)", "request: \(request)", "attempts: \(attempts)"]
        if let curlCode { parts.append("curlCode: \(curlCode)") }
        if let curlMessage, !curlMessage.isEmpty { parts.append("curlMessage: \(curlMessage)") }
        if let status { parts.append("status: \(status)") }
        if let retryAfter { parts.append("retryAfter: \(retryAfter.seconds) s") }
        if let bannedUntil { parts.append("bannedUntil: \(bannedUntil.formatted(.iso8601))") }
        if let detail { parts.append("detail: \(detail)") }
        if let bodySnippet { parts.append("body: \(bodySnippet)") }
        parts.append("at: \(file):\(line)")
        return "RESTError(" + parts.joined(separator: ", ") + ")"
    }

    /// Lossy UTF-8 of the first `limit` bytes, marked when cut.
    static func snippet(of body: [UInt8], limit: Int = 256) -> String? {
        guard !body.isEmpty else { return nil }
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        return body.count > limit ? text + "…" : text
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
