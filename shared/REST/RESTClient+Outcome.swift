import CCurl
import Foundation
import Logging
import Metrics

extension RESTClient {
    /// What to do after one transfer.
    enum Outcome {
        case success(Response)
        case fail(RESTError)
        /// A 429 within limits: wait for the cool-down, then send again.
        case retryAfterCoolDown
        /// Retry after a backoff if retries remain, else throw `error`.
        case retryWithBackoff(reason: String, error: RESTError)
    }

    /// Turns a finished transfer into an outcome, recording 429/418 in the rate-limit gate.
    func classify(_ transfer: CurlTransferResult, retrySafe: Bool, target: String, attempts: Int) -> Outcome {
        if transfer.cancelled {
            return .fail(RESTError(.cancelled, request: target, attempts: attempts))
        }
        guard transfer.succeeded else {
            return classifyFailure(transfer, retrySafe: retrySafe, target: target, attempts: attempts)
        }

        let status = transfer.status
        Counter(label: "alphapulse.http.requests", dimensions: [("status", "\(status)")]).increment()
        if let weight = transfer.headers["X-MBX-USED-WEIGHT-1M"].flatMap({ Int($0) }) {
            state.withLock { $0.usedWeight1m = weight }
        }
        func httpError(_ code: RESTError.Code, retryAfter: Duration? = nil, bannedUntil: Date? = nil) -> RESTError {
            RESTError(
                code, request: target, status: status, retryAfter: retryAfter, bannedUntil: bannedUntil,
                bodySnippet: RESTError.snippet(of: transfer.body), attempts: attempts)
        }

        switch status {
        case 200..<300:
            return .success(
                Response(
                    status: status, headers: transfer.headers, body: transfer.body, attempts: attempts,
                    openedNewConnection: transfer.newConnections > 0, request: target))
        case 429:
            let retryAfter = parseRetryAfter(transfer.headers["Retry-After"]) ?? configuration.defaultRetryAfter
            let now = clock.now
            state.withLock { _ = $0.gate.recordRateLimited(retryAfter: retryAfter, at: now) }
            Counter(label: "alphapulse.http.rate_limited", dimensions: [("status", "429")]).increment()
            RateLimitTotals.record(status: 429)
            let waits = retryAfter <= configuration.maxRetryAfterWait && attempts <= configuration.maxRetries
            logger.info(
                "rate limited (429): pausing all requests",
                metadata: [
                    "http.request": "\(target)", "retry_after_s": "\(retryAfter.seconds)",
                    "http.used_weight_1m": "\(transfer.headers["X-MBX-USED-WEIGHT-1M"] ?? "-")",
                    "action": "\(waits ? "wait and retry" : "fail")",
                ])
            return waits ? .retryAfterCoolDown : .fail(httpError(.rateLimited, retryAfter: retryAfter))
        case 418:
            let duration = parseRetryAfter(transfer.headers["Retry-After"]) ?? configuration.defaultBanDuration
            let now = clock.now
            let until = state.withLock { $0.gate.recordBanned(for: duration, at: now) }
            Counter(label: "alphapulse.http.rate_limited", dimensions: [("status", "418")]).increment()
            RateLimitTotals.record(status: 418)
            let wallUntil = wallClock(until, now: now)
            logger.info(
                "IP banned (418): refusing all requests until the ban ends",
                metadata: ["http.request": "\(target)", "banned_until": "\(wallUntil.formatted(.iso8601))"])
            return .fail(httpError(.banned, retryAfter: duration, bannedUntil: wallUntil))
        case 500..<600 where retrySafe:
            RateLimitTotals.record(status: status)
            return .retryWithBackoff(reason: "\(status)", error: httpError(.httpStatus))
        case 500..<600:
            RateLimitTotals.record(status: status)
            return .fail(httpError(.httpStatus))
        default:
            return .fail(httpError(.httpStatus))
        }
    }

    private func classifyFailure(
        _ transfer: CurlTransferResult, retrySafe: Bool, target: String, attempts: Int
    ) -> Outcome {
        let code = CURLcode(rawValue: UInt32(transfer.code))
        // Nothing of the request reached the server, so even a POST may be sent again.
        let nothingSent = transfer.requestBytes == 0
        func error(_ kind: RESTError.Code, _ detail: String? = nil) -> RESTError {
            RESTError(
                kind, request: target, curlCode: transfer.code, curlMessage: transfer.message,
                status: transfer.status == 0 ? nil : transfer.status, detail: detail, attempts: attempts)
        }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .retryWithBackoff(reason: "connect", error: error(.connectFailed))
        case CURLE_OPERATION_TIMEDOUT:
            let failure = error(.timeout)
            return retrySafe || nothingSent ? .retryWithBackoff(reason: "timeout", error: failure) : .fail(failure)
        case CURLE_WRITE_ERROR where transfer.bodyTooLarge:
            return .fail(error(.transport, "response body larger than \(configuration.maxResponseBytes) bytes"))
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR,
            CURLE_HTTP2, CURLE_HTTP2_STREAM:
            let failure = error(.transport)
            return retrySafe || nothingSent ? .retryWithBackoff(reason: "transport", error: failure) : .fail(failure)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .fail(error(.invalidURL))
        default:
            return .fail(error(.transport))
        }
    }

    /// Waits out a 429 cool-down, or throws if the client is banned, the cool-down is longer
    /// than the configured maximum, or the task is cancelled.
    func waitUntilSendingIsAllowed(target: String, attempts: Int) async throws {
        while true {
            guard !Task.isCancelled else { throw failed(RESTError(.cancelled, request: target, attempts: attempts)) }
            let now = clock.now
            switch state.withLock({ $0.gate.decision(at: now) }) {
            case .proceed:
                return
            case .banned(let until):
                throw failed(
                    RESTError(
                        .banned, request: target, retryAfter: until - now, bannedUntil: wallClock(until, now: now),
                        detail: "not sent: the client is banned (418)", attempts: attempts))
            case .coolDown(let until):
                let remaining = until - now
                guard remaining <= configuration.maxRetryAfterWait else {
                    throw failed(
                        RESTError(
                            .rateLimited, request: target, retryAfter: remaining,
                            detail: "not sent: rate-limit cool-down longer than maxRetryAfterWait", attempts: attempts))
                }
                do {
                    try await Task.sleep(until: until, clock: clock)
                } catch {
                    throw failed(RESTError(.cancelled, request: target, attempts: attempts))
                }
            }
        }
    }

    /// Whether neither a ban nor a cool-down is running.
    func sendingIsAllowed() -> Bool {
        let now = clock.now
        return state.withLock { $0.gate.decision(at: now) } == .proceed
    }

    /// Counts and logs an error about to be thrown.
    func failed(_ error: RESTError) -> RESTError {
        Counter(label: "alphapulse.http.errors", dimensions: [("code", "\(error.code)")]).increment()
        logger.debug("request failed", metadata: ["http.request": "\(error.request)", "error": "\(error)"])
        return error
    }

    /// The wall-clock time of a monotonic instant.
    func wallClock(_ instant: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Date {
        Date.now.addingTimeInterval((instant - now).seconds)
    }
}
