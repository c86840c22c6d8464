import HTTPTypes
import Hummingbird

/// Cross-origin access for browser pages of the configured origins (`gateway.cors_origins`):
/// a preflight (`OPTIONS` with `Access-Control-Request-Method`) from one of them is answered
/// 204 before authentication (a browser sends no key on a preflight), and every answer to
/// one of them says the origin may read it. Other origins get no CORS headers, so their
/// browsers refuse to show the answer. Keys travel in headers only, so no cookie is allowed.
struct AllowedOriginsMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    var any: Bool { origins.contains("*") }

    static var allowedHeaders: String { "Authorization, X-API-Key, Content-Type" }
    static var exposedHeaders: String { "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !origins.isEmpty, let origin = request.headers[.origin], any || origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = any ? "*" : origin
            headers[.accessControlAllowMethods] = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Errors need the headers too, or a browser hides a 401 or 429 from the page.
            response = try error.response(from: request, context: context)
        }
        response.headers[.accessControlAllowOrigin] = any ? "*" : origin
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        response.headers[.vary] = "Origin"
        return response
    }
}
