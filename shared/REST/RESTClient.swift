import Foundation
import Logging
import Metrics
import Synchronization

/// An HTTP client for REST APIs such as Binance's, built on libcurl.
///
/// - Connections are kept alive and reused: the client pools up to
///   ``Configuration/maxConcurrentRequests`` curl handles, each running its blocking transfers
///   on its own serial queue (never on Swift's cooperative pool). Requests beyond that wait.
/// - Responses are transparently decompressed (every encoding libcurl supports).
/// - Connection failures are retried, as are timeouts, broken connections and 5xx responses
///   of idempotent methods, up to ``Configuration/maxRetries`` times with exponential backoff
///   and full jitter.
/// - Rate limits are strictly honoured client-wide: after a 429 *no* request is sent until
///   its `Retry-After` has passed (the 429'd request then retries if the wait is at most
///   ``Configuration/maxRetryAfterWait``); after a 418 every request fails with
///   ``RESTError/Code/banned`` without sending anything until the ban ends.
/// - Cancelling the calling task aborts its transfer within about a second.
///
/// Metrics: `alphapulse.http.requests` (per response, dimension `status`),
/// `alphapulse.http.retries` (`reason`), `alphapulse.http.rate_limited` (`status` 429/418),
/// `alphapulse.http.errors` (per thrown error, `code`).
public final class RESTClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: Configuration

    let logger: Logger
    let clock = ContinuousClock()
    let state = Mutex(State())
    private let pool: HandlePool

    struct State {
        var gate = RateLimitGate<ContinuousClock.Instant>()
        var usedWeight1m: Int?
    }

    /// Creates a client. Curl handles are created on first use, so this is cheap.
    ///
    /// - Parameters:
    ///   - configuration: timeouts, retries and limits; see ``Configuration`` for defaults.
    ///   - logger: receives debug lines for retries and info lines for rate limits and bans.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "alphapulse.rest")) {
        configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.pool = HandlePool(capacity: configuration.maxConcurrentRequests, label: "alphapulse.rest")
    }

    /// The last `X-MBX-USED-WEIGHT-1M` any response carried, if any.
    public var usedWeight1m: Int? {
        state.withLock { $0.usedWeight1m }
    }

    /// When the current 418 ban ends, or nil if there is none.
    public var bannedUntil: Date? {
        let now = clock.now
        guard case .banned(let until) = state.withLock({ $0.gate.decision(at: now) }) else { return nil }
        return wallClock(until, now: now)
    }

    /// When the current 429 cool-down ends, or nil if there is none. Until then no request is
    /// sent.
    public var rateLimitedUntil: Date? {
        let now = clock.now
        guard case .coolDown(let until) = state.withLock({ $0.gate.decision(at: now) }) else { return nil }
        return wallClock(until, now: now)
    }

    /// Sends a GET request; see ``execute(_:)``.
    public func get(
        _ url: String, query: [(name: String, value: String)] = [], headers: Headers = [:], cost: RequestCost? = nil
    ) async throws -> Response {
        try await execute(Request(method: .get, url: url, query: query, headers: headers, cost: cost))
    }

    /// Sends `request`, retrying as configured, and returns the 2xx response.
    ///
    /// - Throws: ``RESTError``: `invalidURL`/`invalidRequest` for requests that cannot be
    ///   sent; `connectFailed`, `timeout` or `transport` once retries are used up;
    ///   `httpStatus` for any other non-2xx final status; `rateLimited` for a 429 whose wait
    ///   exceeds the configured maximum (or when retries are used up); `banned` for a 418 and
    ///   for every request during a ban; `cancelled` when the task is cancelled; `budget` when
    ///   the request has a cost and the configuration's budget cannot be consulted.
    public func execute(_ request: Request) async throws -> Response {
        let target = request.redactedDescription
        guard let url = request.validatedURL() else {
            throw failed(RESTError(.invalidURL, request: target))
        }
        if let problem = Self.headerProblem(request.headers) {
            throw failed(RESTError(.invalidRequest, request: target, detail: problem))
        }
        let options = CurlTransferOptions(
            url: url,
            method: request.method,
            headers: request.headers,
            body: request.body,
            userAgent: configuration.userAgent,
            timeoutMilliseconds: Self.milliseconds(configuration.timeout),
            connectTimeoutMilliseconds: Self.milliseconds(configuration.connectTimeout),
            maxResponseBytes: configuration.maxResponseBytes
        )
        let retrySafe = request.method.isIdempotent || configuration.retryNonIdempotentRequests
        var logger = self.logger
        logger[metadataKey: "http.request"] = "\(target)"

        var attempts = 0
        while true {
            try await waitUntilSendingIsAllowed(target: target, attempts: attempts)
            if let cost = request.cost, let budget = configuration.budget {
                do {
                    try await budget.spend(cost.weight, from: cost.pool)
                } catch is CancellationError {
                    throw failed(RESTError(.cancelled, request: target, attempts: attempts))
                } catch {
                    throw failed(RESTError(.budget, request: target, detail: "\(error)", attempts: attempts))
                }
            }
            let transfer: CurlTransferResult?
            do {
                transfer = try await pool.withHandle { handle -> CurlTransferResult? in
                    // A 429 or 418 may have arrived while this request waited for a handle.
                    guard self.sendingIsAllowed() else { return nil }
                    return await Self.perform(options, on: handle)
                }
            } catch is CancellationError {
                throw failed(RESTError(.cancelled, request: target, attempts: attempts))
            } catch {
                throw failed(RESTError(.transport, request: target, detail: "no curl handle available", attempts: attempts))
            }
            guard let transfer else { continue }
            attempts += 1
            if let cost = request.cost, let budget = configuration.budget, transfer.succeeded {
                await report(transfer, to: budget, pool: cost.pool)
            }

            switch classify(transfer, retrySafe: retrySafe, target: target, attempts: attempts) {
            case .success(let response):
                return response
            case .fail(let error):
                throw failed(error)
            case .retryAfterCoolDown:
                // The cool-down is now in the gate; the loop's first step waits it out.
                Counter(label: "alphapulse.http.retries", dimensions: [("reason", "429")]).increment()
                logger.debug("retrying after rate-limit cool-down", metadata: ["http.attempt": "\(attempts)"])
            case .retryWithBackoff(let reason, let error):
                guard attempts <= configuration.maxRetries else { throw failed(error) }
                let delay = backoffDelay(retry: attempts, base: configuration.backoffBase, cap: configuration.backoffCap)
                Counter(label: "alphapulse.http.retries", dimensions: [("reason", reason)]).increment()
                logger.debug(
                    "retrying request",
                    metadata: ["http.attempt": "\(attempts)", "retry.reason": "\(reason)", "retry.delay_ms": "\(Self.milliseconds(delay))"])
                do {
                    try await Task.sleep(for: delay, clock: clock)
                } catch {
                    throw failed(RESTError(.cancelled, request: target, attempts: attempts))
                }
            }
        }
    }

    /// Tells the shared budget what the server said: its used-weight count, and a 429 cool-down
    /// or 418 ban that every caller must honour.
    private func report(_ transfer: CurlTransferResult, to budget: any RequestBudget, pool: String) async {
        if let used = transfer.headers["X-MBX-USED-WEIGHT-1M"].flatMap({ Int($0) }) {
            await budget.observe(usedWeight: used, in: pool)
        }
        switch transfer.status {
        case 429: await budget.block(pool, for: parseRetryAfter(transfer.headers["Retry-After"]) ?? configuration.defaultRetryAfter)
        case 418: await budget.block(pool, for: parseRetryAfter(transfer.headers["Retry-After"]) ?? configuration.defaultBanDuration)
        default: break
        }
    }

    /// Runs one transfer, aborting it when the calling task is cancelled.
    private static func perform(_ options: CurlTransferOptions, on handle: CurlHandle) async -> CurlTransferResult {
        let flag = CancellationFlag()
        return await withTaskCancellationHandler {
            await handle.perform(options, cancellation: flag)
        } onCancel: {
            flag.cancel()
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds) &* 1000 &+ Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Header names must be tokens and values free of control characters (no header
    /// injection); returns a description of the first problem.
    private static func headerProblem(_ headers: Headers) -> String? {
        for field in headers {
            let validName = !field.name.isEmpty && field.name.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains(byte)
            }
            if !validName { return "invalid header name" }
            if field.value.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
                return "control character in value of header \(field.name)"
            }
        }
        return nil
    }
}
