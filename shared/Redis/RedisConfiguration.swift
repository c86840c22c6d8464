/// Where and how to reach a Redis server, and how hard to try.
///
/// Build one from a URL, `redis://[user[:password]@]host[:port][/db]` (also
/// `redis://:password@host`), then adjust the tuning fields if the defaults don't suit.
/// `description` never shows the password.
public struct RedisConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IP address. Default `127.0.0.1`.
    public var host: String
    /// TCP port. Default 6379.
    public var port: Int
    /// ACL user name (Redis 6+); `nil` authenticates as the default user.
    public var username: String?
    /// Password sent with `AUTH` on every (re)connect; `nil` sends no `AUTH`.
    public var password: String?
    /// Logical database selected with `SELECT` on every (re)connect. Default 0.
    public var database: Int
    /// Limit for establishing the TCP connection. Default 5 s.
    public var connectTimeout: Duration
    /// Socket read/write limit for one ordinary command or pipeline; blocking commands
    /// (`XREADGROUP … BLOCK`) add their block time to it. Default 10 s.
    public var commandTimeout: Duration
    /// How long a command keeps retrying to reconnect to an unreachable server before it
    /// throws `connectionFailed`. Default 10 s.
    public var reconnectTimeout: Duration
    /// First delay between reconnect attempts; doubles (with jitter) up to
    /// `maximumReconnectDelay`. Default 50 ms.
    public var initialReconnectDelay: Duration
    /// Longest delay between reconnect attempts. Default 2 s.
    public var maximumReconnectDelay: Duration
    /// Number of pooled connections a `RedisClient` opens at most. Default 4.
    public var poolSize: Int

    /// A configuration for `host:port` with every other field at its default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = .seconds(5)
        self.commandTimeout = .seconds(10)
        self.reconnectTimeout = .seconds(10)
        self.initialReconnectDelay = .milliseconds(50)
        self.maximumReconnectDelay = .seconds(2)
        self.poolSize = 4
    }

    /// Parses `redis://[user[:password]@]host[:port][/db]`. User and password may be
    /// percent-encoded; IPv6 hosts go in brackets (`redis://[::1]:6379`).
    ///
    /// - Throws: `RedisError` with code `invalidURL` for anything else, including
    ///   `rediss://` (TLS is not supported by this client) and query strings.
    public init(url: String) throws {
        self.init()
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw RedisError(.invalidURL, "URL must start with redis://")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" {
            throw RedisError(.invalidURL, "rediss:// (TLS) is not supported; use redis:// or a local TLS proxy")
        }
        guard scheme == "redis" else {
            throw RedisError(.invalidURL, "unsupported URL scheme '\(scheme)'; expected redis://")
        }
        var rest = url[schemeEnd.upperBound...]
        if rest.contains("?") || rest.contains("#") {
            throw RedisError(.invalidURL, "query strings and fragments are not supported in Redis URLs")
        }
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        } else {
            path = ""
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user: Substring
            let password: Substring?
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                password = userInfo[userInfo.index(after: colon)...]
            } else {
                user = userInfo
                password = nil
            }
            self.username = user.isEmpty ? nil : try Self.percentDecoded(user)
            self.password = try password.map { try Self.percentDecoded($0) }
        }
        try parseHostAndPort(rest)
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else {
                throw RedisError(.invalidURL, "database must be a non-negative number, as in redis://host:6379/2")
            }
            self.database = database
        }
    }

    private mutating func parseHostAndPort(_ authority: Substring) throws {
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisError(.invalidURL, "unterminated IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw RedisError(.invalidURL, "unexpected text after IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw RedisError(.invalidURL, "URL has no host") }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else {
                throw RedisError(.invalidURL, "port must be a number from 1 to 65535")
            }
            self.port = port
        }
    }

    private static func percentDecoded(_ text: Substring) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw RedisError(.invalidURL, "malformed percent-encoding in user info")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw RedisError(.invalidURL, "user info is not valid UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The URL with the password masked, e.g. `redis://app:***@10.0.0.5:6379/2`.
    public var description: String {
        var userInfo = ""
        if username != nil || password != nil {
            userInfo = (username ?? "") + (password == nil ? "" : ":***") + "@"
        }
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "redis://\(userInfo)\(hostText):\(port)/\(database)"
    }
}
