import Foundation

/// Where and how to connect. Built from a `postgresql://` URL.
public struct PostgresConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// libpq's sslmode: disable, allow, prefer, require, verify-ca, verify-full.
    public var sslMode: String
    public var connectTimeoutSeconds: Int
    public var applicationName: String
    /// Schemas searched for unqualified names; empty keeps the server default.
    public var searchPath: [String]
    /// Longest a statement may run before the server cancels it (SQLSTATE 57014); 0 = no
    /// limit. From the URL's `statement_timeout` (seconds); 300 by default.
    public var statementTimeoutSeconds: Int
    /// Any further libpq keywords from the URL's query (e.g. `options`).
    public var extraParameters: [String: String]

    public init(
        host: String = "127.0.0.1", port: Int = 5432, user: String, password: String? = nil, database: String,
        sslMode: String = "prefer", connectTimeoutSeconds: Int = 10, applicationName: String = "alphapulse",
        searchPath: [String] = [], statementTimeoutSeconds: Int = 300, extraParameters: [String: String] = [:]
    ) {
        self.statementTimeoutSeconds = statementTimeoutSeconds
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
        self.searchPath = searchPath
        self.extraParameters = extraParameters
    }

    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// Parses `postgresql://user:password@host:port/dbname?sslmode=require&connect_timeout=5`.
    /// `postgres://` is accepted too; user, password and database may be percent-encoded.
    /// - Throws: `PostgresError` with code `.invalidURL`, whose message never shows the password.
    public init(url: String) throws {
        func invalid(_ why: String) -> PostgresError {
            PostgresError(.invalidURL, message: "invalid PostgreSQL URL: \(why)", connectionUsable: false)
        }
        guard let components = URLComponents(string: url) else { throw invalid("not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgresql" || scheme == "postgres" else {
            throw invalid("the scheme must be postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let database = String(components.percentEncodedPath.dropFirst()).removingPercentEncoding ?? ""
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? 5432,
            user: user,
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
            database: database.isEmpty ? user : database
        )
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard Self.sslModes.contains(value) else { throw invalid("unknown sslmode '\(value)'") }
                sslMode = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds >= 0 else { throw invalid("connect_timeout must be whole seconds") }
                connectTimeoutSeconds = seconds
            case "application_name":
                applicationName = value
            case "statement_timeout":
                guard let seconds = Int(value), seconds >= 0, seconds <= 86_400 else { throw invalid("statement_timeout must be whole seconds up to 86400") }
                statementTimeoutSeconds = seconds
            case "search_path":
                searchPath = value.split(separator: ",").map(String.init)
            case "password":
                password = value
            case "user":
                self.user = value
            default:
                extraParameters[item.name] = value
            }
        }
    }

    /// The URL with its password hidden, for logs.
    public var description: String {
        "postgresql://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// libpq keyword/value pairs.
    var connectionParameters: [(String, String)] {
        var parameters: [(String, String)] = [
            ("host", host), ("port", String(port)), ("user", user), ("dbname", database),
            ("sslmode", sslMode), ("connect_timeout", String(connectTimeoutSeconds)),
            ("application_name", applicationName),
            // Detect a dead peer in about a minute instead of the OS's two hours, so a
            // statement on a half-open connection fails instead of blocking its thread.
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
        ]
        if let password { parameters.append(("password", password)) }
        // Every session speaks UTC and ISO dates, which the timestamp codec relies on.
        var options = "-c TimeZone=UTC -c DateStyle=ISO"
        if statementTimeoutSeconds > 0 { options += " -c statement_timeout=\(statementTimeoutSeconds * 1000)" }
        if !searchPath.isEmpty {
            // Spaces inside an option value must be escaped with a backslash.
            let path = searchPath.map { $0.replacingOccurrences(of: " ", with: "\\ ") }.joined(separator: ",")
            options += " -c search_path=\(path)"
        }
        if let extra = extraParameters["options"], !extra.isEmpty { options += " " + extra }
        parameters.append(("options", options))
        for (key, value) in extraParameters.sorted(by: { $0.key < $1.key }) where key != "options" {
            parameters.append((key, value))
        }
        return parameters
    }
}
