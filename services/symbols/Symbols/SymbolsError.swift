import REST

/// Why a refresh failed. The stored list, its history and the Redis cache are untouched by a
/// failed refresh, whatever the cause.
public struct SymbolsError: Error, Sendable, CustomStringConvertible {
    /// The failure cause; its raw value is the `cause` dimension of
    /// `alphapulse.symbols.refresh.failures`.
    public struct Cause: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unreachable, serverError = "server_error", httpError = "http_error", rateLimited = "rate_limited", banned
            case malformed, shortList = "short_list", database, redis
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Binance did not answer: connection refused, timeout, cut transfer.
        public static let unreachable = Cause(.unreachable)
        /// Binance answered 5xx (after the client's retries).
        public static let serverError = Cause(.serverError)
        /// Binance answered another non-2xx status.
        public static let httpError = Cause(.httpError)
        /// 429: too many requests; the client waits out `Retry-After`.
        public static let rateLimited = Cause(.rateLimited)
        /// 418: the IP is banned for a while.
        public static let banned = Cause(.banned)
        /// The answer was not the JSON expected: truncated, not JSON, a field missing or invalid.
        public static let malformed = Cause(.malformed)
        /// Fewer symbols than a trustworthy list holds.
        public static let shortList = Cause(.shortList)
        /// PostgreSQL failed while storing (the transaction was rolled back).
        public static let database = Cause(.database)
        /// Redis failed while caching or publishing (the database already holds the new list;
        /// the next refresh brings the cache up to date and publishes what was missed).
        public static let redis = Cause(.redis)

        public var description: String { base.rawValue }
    }

    public var cause: Cause
    /// A short explanation, safe to log (no credentials, no query strings).
    public var message: String

    public init(_ cause: Cause, _ message: String) {
        self.cause = cause
        self.message = message
    }

    public var description: String { "\(cause): \(message)" }

    /// Classifies a REST client failure.
    static func from(_ error: RESTError, what: String) -> SymbolsError {
        let cause: Cause
        switch error.code {
        case .httpStatus: cause = (error.status ?? 0) >= 500 ? .serverError : .httpError
        case .rateLimited: cause = .rateLimited
        case .banned: cause = .banned
        case .decoding: cause = .malformed
        default: cause = .unreachable
        }
        return SymbolsError(cause, "\(what): \(error)")
    }
}
