import Foundation

extension RESTClient {
    /// An HTTP method. Extensible: `Method("OPTIONS")`.
    public struct Method: Sendable, Hashable, CustomStringConvertible {
        /// The method token as sent, e.g. `GET`.
        public let rawValue: String

        public init(_ rawValue: String) {
            precondition(!rawValue.isEmpty && rawValue.allSatisfy { $0.isLetter }, "invalid HTTP method \(rawValue)")
            self.rawValue = rawValue.uppercased()
        }

        public static let get = Method("GET")
        public static let head = Method("HEAD")
        public static let post = Method("POST")
        public static let put = Method("PUT")
        public static let delete = Method("DELETE")
        public static let patch = Method("PATCH")

        /// Whether repeating the request has the same effect as sending it once (RFC 9110
        /// §9.2.2), which makes retries after 5xx, timeouts and broken connections safe.
        public var isIdempotent: Bool {
            switch rawValue {
            case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE": true
            default: false
            }
        }

        public var description: String { rawValue }
    }

    /// One HTTP request: method, URL with query items, headers and an optional body.
    public struct Request: Sendable {
        /// The method; default GET.
        public var method: Method
        /// The URL without query items, e.g. `https://api.binance.com/api/v3/klines`: absolute
        /// http(s), ASCII only (percent-encode path segments). A query already present is kept
        /// and ``query`` is appended to it.
        public var url: String
        /// Query items, percent-encoded (RFC 3986 unreserved characters stay as they are) and
        /// appended in order.
        public var query: [(name: String, value: String)]
        /// Request headers. `User-Agent` defaults to the configuration's; `Accept-Encoding` is
        /// managed by libcurl (every encoding it supports) unless set here.
        public var headers: Headers
        /// The request body, sent with the method as is.
        public var body: [UInt8]?
        /// What each attempt costs in the configuration's ``RESTClient/Configuration/budget``
        /// (nil: the request is not budgeted).
        public var cost: RequestCost?

        public init(
            method: Method = .get,
            url: String,
            query: [(name: String, value: String)] = [],
            headers: Headers = [:],
            body: [UInt8]? = nil,
            cost: RequestCost? = nil
        ) {
            self.cost = cost
            self.method = method
            self.url = url
            self.query = query
            self.headers = headers
            self.body = body
        }

        /// The encoded query string (`a=1&b=x%20y`), exactly as sent — what a request signature
        /// (e.g. Binance's HMAC `signature`) must be computed over.
        public var queryString: String {
            query.map { Self.percentEncode($0.name) + "=" + Self.percentEncode($0.value) }.joined(separator: "&")
        }

        /// The full URL as sent.
        public var fullURL: String {
            guard !query.isEmpty else { return url }
            return url + (url.contains("?") ? "&" : "?") + queryString
        }

        /// `METHOD scheme://host[:port]/path` without query or fragment: safe to log.
        public var redactedDescription: String {
            guard let components = URLComponents(string: url), let scheme = components.scheme,
                let host = components.host
            else { return "\(method) <invalid URL>" }
            let port = components.port.map { ":\($0)" } ?? ""
            return "\(method) \(scheme)://\(host)\(port)\(components.percentEncodedPath)"
        }

        /// Checks that the URL is absolute http(s) with a host and has no characters that
        /// would let it smuggle a second request line.
        func validatedURL() -> String? {
            let full = fullURL
            guard full.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
                let components = URLComponents(string: full),
                let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = components.host, !host.isEmpty
            else { return nil }
            return full
        }

        private static let unreserved: Set<UInt8> = Set(
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

        static func percentEncode(_ text: String) -> String {
            var encoded = ""
            encoded.reserveCapacity(text.utf8.count)
            for byte in text.utf8 {
                if unreserved.contains(byte) {
                    encoded.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
                }
            }
            return encoded
        }
    }
}
