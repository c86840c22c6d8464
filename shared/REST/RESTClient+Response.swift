import Metrics
import Foundation

extension RESTClient {
    /// A successful (2xx) HTTP response.
    public struct Response: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The response headers of the final response (interim 1xx responses are dropped).
        public var headers: Headers
        /// The body, already decompressed if the server used a content encoding.
        public var body: [UInt8]
        /// How many transfers it took, 1 when the first attempt succeeded.
        public var attempts: Int
        /// Whether the final attempt opened a new connection rather than reusing a pooled one.
        public var openedNewConnection: Bool
        /// `METHOD scheme://host/path` of the request, without query.
        public var request: String

        public init(
            status: Int, headers: Headers, body: [UInt8], attempts: Int = 1, openedNewConnection: Bool = false,
            request: String = ""
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.attempts = attempts
            self.openedNewConnection = openedNewConnection
            self.request = request
        }

        /// Binance's request weight used in the current minute by this IP
        /// (`X-MBX-USED-WEIGHT-1M`), if the server sent it.
        public var usedWeight1m: Int? {
            headers["X-MBX-USED-WEIGHT-1M"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }

        /// The body as UTF-8 text (invalid bytes replaced).
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// Decodes the JSON body.
        ///
        /// - Throws: ``RESTError`` with code ``RESTError/Code/decoding`` whose ``RESTError/detail``
        ///   names the failing field (coding path) and problem, with the start of the body in
        ///   ``RESTError/bodySnippet``.
        public func json<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) throws -> T {
            let detail: String
            do {
                return try decoder.decode(T.self, from: Data(body))
            } catch let error as DecodingError {
                detail = "\(T.self): " + Self.explain(error)
            } catch {
                detail = "\(T.self): \(error)"
            }
            Counter(label: "alphapulse.http.errors", dimensions: [("code", "decoding")]).increment()
            throw RESTError(
                .decoding, request: request, status: status, bodySnippet: RESTError.snippet(of: body),
                detail: detail, attempts: attempts)
        }

        private static func explain(_ error: DecodingError) -> String {
            func path(_ codingPath: [any CodingKey]) -> String {
                guard !codingPath.isEmpty else { return "<root>" }
                return codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
                    .joined().trimmingPrefix(".").description
            }
            switch error {
            case .keyNotFound(let key, let context):
                let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
                return "missing key '\(key.stringValue)'\(parent)"
            case .typeMismatch(let type, let context):
                return "type mismatch at \(path(context.codingPath)): expected \(type) — \(context.debugDescription)"
            case .valueNotFound(let type, let context):
                return "null at \(path(context.codingPath)): expected \(type)"
            case .dataCorrupted(let context):
                let underlying = context.underlyingError.map { " (\($0))" } ?? ""
                return "malformed JSON at \(path(context.codingPath)): \(context.debugDescription)\(underlying)"
            @unknown default:
                return "\(error)"
            }
        }
    }
}
