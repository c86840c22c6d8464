import Foundation
import Testing
@testable import Core

@Suite final class ConfigTests {
    /// The temp files this test wrote, removed when it ends.
    private var written: [String] = []

    deinit { for path in written { unlink(path) } }

    /// Writes `yaml` to a temp file (removed when the test ends) and returns its path.
    func file(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "alphapulse-config-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        written.append(path)
        return path
    }

    @Test func precedenceIsFileThenEnvironmentThenFlag() throws {
        let path = try file("symbols:\n  futures: 40\n  spot: 41\nlog:\n  level: debug\n")
        let environment = ["ALPHAPULSE_SYMBOLS_FUTURES": "30", "ALPHAPULSE_LOG_LEVEL": "warning"]

        let all = try AlphaPulseConfig.load(file: path, environment: environment, flags: ["symbols.futures": "20"])
        #expect(all.symbols.futures == 20)
        #expect(all.symbols.spot == 41)
        #expect(all.runtime.logLevel == "warning")
        #expect(all.resolved.entries["symbols.futures"]?.origin == "flag")
        #expect(all.resolved.entries["log.level"]?.origin == "ALPHAPULSE_LOG_LEVEL")
        #expect(all.resolved.entries["symbols.spot"]?.origin == path)

        let noFlag = try AlphaPulseConfig.load(file: path, environment: environment)
        #expect(noFlag.symbols.futures == 30)
        let fileOnly = try AlphaPulseConfig.load(file: path, environment: [:])
        #expect(fileOnly.symbols.futures == 40)
        #expect(fileOnly.runtime.logLevel == "debug")
    }

    @Test func configEnvironmentVariableNamesTheFile() throws {
        let path = try file("symbols:\n  spot: 7\n")
        let config = try AlphaPulseConfig.load(environment: ["ALPHAPULSE_CONFIG": path])
        #expect(config.symbols.spot == 7)
    }

    @Test func defaultsCarryTheOriginalSettings() throws {
        let config = try AlphaPulseConfig.load(file: try file("{}\n"), environment: [:])
        #expect(config.symbols.futures == 50 && config.symbols.spot == 50)
        #expect(config.candles.primary == .oneMinute)
        #expect(config.candles.derived == [.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours, .oneDay])
        #expect(config.analysisBatchSize == 10 && config.analysisBatchIntervalSeconds == 60)
        #expect(config.runtime.metricsIntervalSeconds == 30)
        #expect(config.database.poolMin == 10 && config.database.poolMax == 30)
        #expect(config.redis.prefix == "ap:")
        #expect(config.binance.spotRESTURL == "https://api.binance.com")
        #expect(config.binance.spotWSURL == "wss://stream.binance.com:9443")
        #expect(config.binance.futuresRESTURL == "https://fapi.binance.com")
        #expect(config.binance.futuresWSURL == "wss://fstream.binance.com/market")
        #expect(config.symbols.refreshAt.hour == 0 && config.symbols.refreshAt.minute == 5)
    }

    @Test func everyKeyHasItsEnvironmentVariable() throws {
        #expect(ConfigKeys.byPath["symbols.futures"]?.environmentName == "ALPHAPULSE_SYMBOLS_FUTURES")
        let environment = [
            "ALPHAPULSE_DATABASE_URL": "postgresql://u:p@db:5433/x",
            "ALPHAPULSE_REDIS_URL": "redis://cache:6380/2",
            "ALPHAPULSE_BINANCE_SPOT_REST_URL": "http://127.0.0.1:9100/",
            "ALPHAPULSE_BINANCE_SPOT_WS_URL": "ws://127.0.0.1:9100",
            "ALPHAPULSE_BINANCE_FUTURES_REST_URL": "http://127.0.0.1:9100",
            "ALPHAPULSE_BINANCE_FUTURES_WS_URL": "ws://127.0.0.1:9100/market",
            "ALPHAPULSE_REDIS_PREFIX": "test:",
            "ALPHAPULSE_LOG_FORMAT": "json",
        ]
        let config = try AlphaPulseConfig.load(file: try file("{}\n"), environment: environment)
        #expect(config.database.url == "postgresql://u:p@db:5433/x")
        #expect(config.redis.url == "redis://cache:6380/2")
        #expect(config.binance.spotRESTURL == "http://127.0.0.1:9100", "trailing slash trimmed so paths can be appended")
        #expect(config.binance.futuresWSURL == "ws://127.0.0.1:9100/market")
        #expect(config.redis.prefix == "test:")
        #expect(config.runtime.logFormat == "json")
    }

    @Test func invalidEnvironmentValueNamesKeyAndVariable() throws {
        let error = #expect(throws: ConfigError.self) {
            try AlphaPulseConfig.load(file: try file("{}\n"), environment: ["ALPHAPULSE_SYMBOLS_FUTURES": "fifty"])
        }
        #expect(error?.key == "symbols.futures")
        #expect(error?.origin == "ALPHAPULSE_SYMBOLS_FUTURES")
        #expect(error?.description.contains("symbols.futures") == true)
    }

    @Test(arguments: [
        ("log:\n  level: loud\n", "log.level"),
        ("symbols:\n  futurs: 3\n", "symbols.futurs"),
        ("database:\n  pool_max: -1\n", "database.pool_max"),
        ("binance:\n  spot_ws_url: https://not-a-websocket\n", "binance.spot_ws_url"),
        ("symbols:\n  refresh_at: 25:00\n", "symbols.refresh_at"),
        ("candles:\n  derived_intervals: [5m, 2h]\n", "candles.derived_intervals"),
        ("database:\n  pool_min: 40\n  pool_max: 30\n", "database.pool_min"),
        ("symbols: 5\n", "symbols"),
        ("heartbeat:\n  interval_seconds: 60\n  ttl_seconds: 30\n", "heartbeat.ttl_seconds"),
    ])
    func invalidFileValueNamesTheKey(yaml: String, key: String) throws {
        let path = try file(yaml)
        let error = #expect(throws: ConfigError.self) { try AlphaPulseConfig.load(file: path, environment: [:]) }
        #expect(error?.key == key)
        #expect(error?.origin == path)
    }

    @Test func brokenYAMLAndMissingFileAreClearErrors() throws {
        let broken = try file("symbols:\n  futures: [1, 2\n")
        let syntax = #expect(throws: ConfigError.self) { try AlphaPulseConfig.load(file: broken, environment: [:]) }
        #expect(syntax?.message.contains("invalid YAML") == true)
        #expect(syntax?.origin == broken)

        let missing = #expect(throws: ConfigError.self) {
            try AlphaPulseConfig.load(file: "/nonexistent/alphapulse.yaml", environment: [:])
        }
        #expect(missing?.message == "configuration file not found")
    }

    @Test func unknownFlagIsRejected() throws {
        let error = #expect(throws: ConfigError.self) {
            try AlphaPulseConfig.load(file: try file("{}\n"), environment: [:], flags: ["symbol.futures": "3"])
        }
        #expect(error?.key == "symbol.futures")
    }

    @Test func secretsNeverAppearInDumpsOrErrors() throws {
        let config = try AlphaPulseConfig.load(
            file: try file("{}\n"),
            environment: ["ALPHAPULSE_DATABASE_URL": "postgresql://app:hunter2@db:5432/ap", "ALPHAPULSE_REDIS_URL": "redis://:s3cret@cache:6379/0"]
        )
        let dump = config.resolved.redactedEntries().map { "\($0.path)=\($0.value)" }.joined(separator: "\n")
        #expect(!dump.contains("hunter2") && !dump.contains("s3cret"))
        #expect(dump.contains("database.url=postgresql://app:***@db:5432/ap"))

        let error = #expect(throws: ConfigError.self) {
            try AlphaPulseConfig.load(file: try file("{}\n"), environment: ["ALPHAPULSE_REDIS_URL": "http://:s3cret@cache:6379"])
        }
        #expect(error.map { !$0.description.contains("s3cret") } == true)
        #expect(Redaction.url("postgresql://u:pw@h/d?password=pw2&sslmode=require") == "postgresql://u:***@h/d?password=***&sslmode=require")
    }

    @Test func shippedFileHoldsExactlyTheDefaults() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(ConfigLoader.defaultFile).path
        let resolved = try ConfigLoader().load(file: path, environment: [:])
        for key in ConfigKeys.all {
            #expect(resolved.entries[key.path]?.origin == path, "\(key.path) is missing from the shipped file")
            #expect(resolved.string(key.path) == (try key.validate(key.defaultValue, origin: "default")), "\(key.path) differs from its default")
        }
    }

    @Test func intervalsKnowTheirLength() {
        #expect(CandleInterval.allCases.map(\.milliseconds) == [60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000])
        #expect(CandleInterval(rawValue: "4h") == .fourHours)
    }

    @Test func bucketsAreAlignedToTheEpochAndFloorNegativeTimes() {
        let t: Int64 = 1_769_913_459_123  // 2026-02-01 02:37:39.123 UTC
        #expect(CandleInterval.oneMinute.bucketStart(t) == 1_769_913_420_000)
        #expect(CandleInterval.fifteenMinutes.bucketStart(t) == 1_769_913_000_000)  // 02:30
        #expect(CandleInterval.fourHours.bucketStart(t) == 1_769_904_000_000)  // 00:00
        #expect(CandleInterval.oneDay.bucketStart(t) == 1_769_904_000_000)
        #expect(CandleInterval.oneHour.bucketStart(1_769_911_200_000) == 1_769_911_200_000, "an open time is its own bucket")
        #expect(CandleInterval.oneMinute.bucketStart(-1) == -60_000 && CandleInterval.oneMinute.bucketStart(-60_000) == -60_000)
        #expect(CandleInterval.fiveMinutes.closeTime(openTime: 1_769_904_000_000) == 1_769_904_299_999)
        #expect(CandleInterval.oneHour.isAligned(1_769_911_200_000) && !CandleInterval.oneHour.isAligned(1_769_911_260_000))
    }
}

@Suite struct ReadmeTests {
    /// The README's configuration reference must list every key with its variable and default.
    @Test func readmeDocumentsEveryConfigurationKey() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for key in ConfigKeys.all {
            #expect(readme.contains("| `\(key.path)` | `\(key.environmentName)` | `\(key.defaultValue)` |"), "README lacks \(key.path)")
        }
    }
}
