import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Postgres
import Redis

/// An API error as `application/problem+json` (RFC 9457): `type`, `title`, `status`,
/// `detail`, and for a bad parameter its name in `parameter`.
public struct Problem: HTTPResponseError, Equatable {
    public let status: HTTPResponse.Status
    public let title: String
    public let detail: String
    public let parameter: String?
    /// Extra response headers (Retry-After, WWW-Authenticate).
    public let headers: [String: String]

    public init(_ status: HTTPResponse.Status, _ detail: String, parameter: String? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.title = status.reasonPhrase
        self.detail = detail
        self.parameter = parameter
        self.headers = headers
    }

    /// 400 naming the parameter that is wrong.
    public static func badParameter(_ name: String, _ detail: String) -> Problem {
        Problem(.badRequest, detail, parameter: name)
    }

    public static func notFound(_ detail: String) -> Problem { Problem(.notFound, detail) }

    struct Body: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var instance: String
        var parameter: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(path: request.uri.path)
    }

    func response(path: String) -> Response {
        let body = Body(title: title, status: Int(status.code), detail: detail, instance: path, parameter: parameter)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data()
        var fields = HTTPFields()
        fields[.contentType] = "application/problem+json"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a problem response: a `Problem` as it is, Hummingbird's own HTTP
/// errors (an unknown path, a wrong method) with their status, and anything else as a 500
/// whose cause is logged, never shown.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response(path: request.uri.path)
        } catch let error as HTTPError {
            let detail = error.status == .notFound ? "no such path: \(request.uri.path)"
                : error.status == .methodNotAllowed ? "\(request.method) is not allowed on \(request.uri.path)"
                : error.body ?? error.status.reasonPhrase
            return Problem(error.status, detail).response(path: request.uri.path)
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            return Problem(error.status, error.status.reasonPhrase).response(path: request.uri.path)
        } catch let error as PostgresError where [.connectionFailed, .connectionLost, .poolTimeout, .poolClosed].contains(error.code) {
            logger.warning("database unavailable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Problem(.serviceUnavailable, "the database is unavailable; try again shortly", headers: ["Retry-After": "5"])
                .response(path: request.uri.path)
        } catch let error as RedisError where [.connectionFailed, .connectionLost, .timeout, .clientClosed].contains(error.code) {
            logger.warning("redis unavailable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Problem(.serviceUnavailable, "Redis is unavailable; try again shortly", headers: ["Retry-After": "5"])
                .response(path: request.uri.path)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Problem(.internalServerError, "the request failed on the server; its cause is in the gateway's log").response(path: request.uri.path)
        }
    }
}
