import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// Lets a request through only with a valid API key of a sufficient scope, except on the
/// public paths. The key comes in `Authorization: Bearer <key>` or `X-API-Key: <key>`, never
/// in a query string. A missing or wrong key gets 401, too small a scope 403; reads (GET,
/// HEAD) need `read`, anything else `admin`. An authenticated request then takes a token from
/// its key's bucket (`RateLimiter`); an empty bucket gets 429 with Retry-After.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: KeyStore
    let limiter: RateLimiter
    /// `gateway.auth: off` (accepted only with a loopback bind) lets everything through.
    let enabled: Bool
    /// Whether /metrics is served without a key.
    let metricsPublic: Bool

    static var publicPaths: Set<String> { ["/health", "/healthz", "/readyz", "/openapi.json"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if !enabled || Self.publicPaths.contains(path) || (path == "/metrics" && metricsPublic) {
            return try await next(request, context)
        }
        guard let presented = Self.presentedKey(request) else {
            Counter(label: "alphapulse.gateway.auth_failures", dimensions: [("reason", "missing")]).increment()
            throw Problem(.unauthorized, "an API key is required: send it as Authorization: Bearer <key> or X-API-Key: <key>",
                          headers: ["WWW-Authenticate": "Bearer"])
        }
        guard let key = APIKey(presented), let scope = try await keys.authenticate(key) else {
            Counter(label: "alphapulse.gateway.auth_failures", dimensions: [("reason", "invalid")]).increment()
            throw Problem(.unauthorized, "the API key is not valid (unknown, revoked or mistyped)", headers: ["WWW-Authenticate": "Bearer"])
        }
        let needed: APIScope = request.method == .get || request.method == .head ? .read : .admin
        guard scope >= needed else {
            Counter(label: "alphapulse.gateway.auth_failures", dimensions: [("reason", "scope")]).increment()
            throw Problem(.forbidden, "this request needs a key of scope \(needed.rawValue); this key has \(scope.rawValue)")
        }
        switch await limiter.admit(key.prefix) {
        case .limited(let seconds):
            throw Problem(.tooManyRequests, "this key's rate limit (\(limiter.burst) at once, \(limiter.rate) per second) is spent; retry in \(seconds) s",
                          headers: ["Retry-After": String(seconds), "X-RateLimit-Limit": String(limiter.burst), "X-RateLimit-Remaining": "0"])
        case .allowed(let remaining):
            var response = try await next(request, context)
            if limiter.enabled, let limit = HTTPField.Name("X-RateLimit-Limit"), let left = HTTPField.Name("X-RateLimit-Remaining") {
                response.headers[limit] = String(limiter.burst)
                response.headers[left] = String(remaining)
            }
            return response
        }
    }

    /// The key in `Authorization: Bearer …` or else `X-API-Key`.
    static func presentedKey(_ request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        if let name = HTTPField.Name("X-API-Key"), let key = request.headers[name] {
            return key.trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
