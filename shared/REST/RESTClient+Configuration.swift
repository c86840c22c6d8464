extension RESTClient {
    /// How a ``RESTClient`` connects, retries and honours rate limits.
    ///
    /// The defaults suit Binance's public REST API; every property can be changed.
    public struct Configuration: Sendable {
        /// The longest one attempt may take, connect to last body byte. Default 10 s.
        public var timeout: Duration
        /// The longest connection setup (TCP + TLS) may take. Default 5 s.
        public var connectTimeout: Duration
        /// How many times a failed request is retried (so at most `maxRetries + 1` attempts).
        /// Default 3.
        public var maxRetries: Int
        /// Backoff before retry *n* (1-based) is a random duration in
        /// `0 ... min(backoffCap, backoffBase * 2^(n-1))` ("full jitter"). Default 200 ms.
        public var backoffBase: Duration
        /// Upper bound of one backoff. Default 5 s.
        public var backoffCap: Duration
        /// How many transfers may run at once; also the number of pooled curl handles, each
        /// keeping its own keep-alive connections. Further requests wait for a free handle.
        /// Default 8.
        public var maxConcurrentRequests: Int
        /// Sent as `User-Agent` unless the request sets one. Default `AlphaPulse/1.0`.
        public var userAgent: String
        /// The longest rate-limit cool-down (HTTP 429 `Retry-After`) a request waits out before
        /// retrying; a longer one makes it throw ``RESTError/Code/rateLimited`` at once.
        /// Default 60 s.
        public var maxRetryAfterWait: Duration
        /// The cool-down assumed when a 429 carries no usable `Retry-After`. Default 30 s.
        public var defaultRetryAfter: Duration
        /// The ban assumed when a 418 carries no usable `Retry-After`. Binance bans last from
        /// 2 minutes to 3 days, so the default is the minimum, 120 s.
        public var defaultBanDuration: Duration
        /// Whether non-idempotent requests (POST, PATCH) are retried after a 5xx, a timeout or a
        /// broken connection, where the server may already have acted on them. Connection
        /// failures (nothing sent) are always retried. Default `false`.
        public var retryNonIdempotentRequests: Bool
        /// Larger response bodies fail with ``RESTError/Code/transport``. Default 64 MiB.
        public var maxResponseBytes: Int
        /// The shared weight budget requests with a ``Request/cost`` draw from. Default none.
        public var budget: (any RequestBudget)?

        /// Creates a configuration; every parameter has the documented default.
        public init(
            timeout: Duration = .seconds(10),
            connectTimeout: Duration = .seconds(5),
            maxRetries: Int = 3,
            backoffBase: Duration = .milliseconds(200),
            backoffCap: Duration = .seconds(5),
            maxConcurrentRequests: Int = 8,
            userAgent: String = "AlphaPulse/1.0",
            maxRetryAfterWait: Duration = .seconds(60),
            defaultRetryAfter: Duration = .seconds(30),
            defaultBanDuration: Duration = .seconds(120),
            retryNonIdempotentRequests: Bool = false,
            maxResponseBytes: Int = 64 << 20,
            budget: (any RequestBudget)? = nil
        ) {
            self.budget = budget
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.maxRetries = maxRetries
            self.backoffBase = backoffBase
            self.backoffCap = backoffCap
            self.maxConcurrentRequests = maxConcurrentRequests
            self.userAgent = userAgent
            self.maxRetryAfterWait = maxRetryAfterWait
            self.defaultRetryAfter = defaultRetryAfter
            self.defaultBanDuration = defaultBanDuration
            self.retryNonIdempotentRequests = retryNonIdempotentRequests
            self.maxResponseBytes = maxResponseBytes
        }

        /// Traps on values no caller could mean (programmer errors).
        func validate() {
            precondition(timeout > .zero, "timeout must be positive")
            precondition(connectTimeout > .zero, "connectTimeout must be positive")
            precondition(maxRetries >= 0, "maxRetries must not be negative")
            precondition(backoffBase >= .zero && backoffCap >= .zero, "backoff must not be negative")
            precondition(maxConcurrentRequests > 0, "maxConcurrentRequests must be positive")
            precondition(maxRetryAfterWait >= .zero, "maxRetryAfterWait must not be negative")
            precondition(defaultRetryAfter >= .zero && defaultBanDuration >= .zero, "defaults must not be negative")
            precondition(maxResponseBytes > 0, "maxResponseBytes must be positive")
        }
    }
}
