import ArgumentParser
import Core
import Foundation

/// Options every AlphaPulse executable accepts. Flags take priority over the environment,
/// which takes priority over the YAML file.
public struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file.", discussion: "Default: ALPHAPULSE_CONFIG, else deploy/config/alphapulse.yaml."))
    public var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override any key, e.g. --set symbols.futures=40 (repeatable).", valueName: "key=value"))
    public var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("PostgreSQL URL (database.url).", discussion: "Other local users can read a command line (/proc/PID/cmdline): pass a password with ALPHAPULSE_DATABASE_URL_FILE instead."))
    public var databaseURL: String?

    @Option(name: .long, help: ArgumentHelp("Redis URL (redis.url).", discussion: "Other local users can read a command line (/proc/PID/cmdline): pass a password with ALPHAPULSE_REDIS_URL_FILE instead."))
    public var redisURL: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (log.level).")
    public var logLevel: String?

    @Option(name: .long, help: "Log format: text or json (log.format).")
    public var logFormat: String?

    public init() {}

    /// The flags as `path=value` overrides.
    public func flagOverrides() throws -> [String: String] {
        var flags: [String: String] = [:]
        for item in overrides {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--set expects key=value, got '\(item)'")
            }
            flags[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        if let databaseURL { flags["database.url"] = databaseURL }
        if let redisURL { flags["redis.url"] = redisURL }
        if let logLevel { flags["log.level"] = logLevel }
        if let logFormat { flags["log.format"] = logFormat }
        return flags
    }

    /// Loads and validates the configuration.
    /// - Throws: `ConfigError` naming the key at fault; ArgumentParser prints it and exits non-zero.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AlphaPulseConfig {
        try AlphaPulseConfig.load(file: config, environment: environment, flags: try flagOverrides())
    }
}

