import Core
import Foundation
import Testing
@testable import Gateway

@Suite struct APIKeyTests {
    @Test func aGeneratedKeyParsesBackAndIsStoredOnlyAsItsHash() throws {
        let key = APIKey.generate()
        #expect(key.text.hasPrefix("apk_\(key.prefix)_"))
        #expect(key.text.utf8.count == 4 + 16 + 1 + 64)
        #expect(APIKey(key.text) == key)
        #expect(key.hash.utf8.count == 64 && key.hash != key.text)
        #expect(key.matches(storedHash: key.hash))
        // Only the prefix reaches a log through interpolation.
        #expect("\(key)" == "apk_\(key.prefix)_…")
        // 256 random bits each: two keys never repeat a prefix or a secret.
        let other = APIKey.generate()
        #expect(other.prefix != key.prefix && other.hash != key.hash)
    }

    @Test func theHashIsSHA256OfTheWholeKey() {
        // FIPS 180-2's test vector.
        #expect(APIKey.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let text = "apk_0123456789abcdef_" + String(repeating: "ab", count: 32)
        let key = APIKey(text)
        #expect(key?.hash == APIKey.sha256(text))
    }

    @Test(arguments: [
        "", "apk__", "apk_0123456789abcdef", "apx_0123456789abcdef_" + String(repeating: "ab", count: 32),
        "apk_0123456789ABCDEF_" + String(repeating: "ab", count: 32), "apk_0123456789abcde_" + String(repeating: "ab", count: 32),
        "apk_0123456789abcdef_" + String(repeating: "ab", count: 31), "apk_0123456789abcdef_" + String(repeating: "zz", count: 32),
        "apk_0123456789abcdef_" + String(repeating: "ab", count: 32) + "_x", " apk_0123456789abcdef_" + String(repeating: "ab", count: 32),
    ])
    func malformedKeysAreRefused(text: String) {
        #expect(APIKey(text) == nil)
    }

    @Test func aKeyMatchesOnlyItsOwnHash() throws {
        let key = APIKey.generate()
        var digits = Array(key.hash)
        digits[63] = digits[63] == "0" ? "1" : "0"
        #expect(!key.matches(storedHash: String(digits)))
        #expect(!key.matches(storedHash: String(key.hash.dropLast())))
        #expect(!key.matches(storedHash: ""))
    }
}

@Suite struct GatewaySettingsTests {
    static func config(_ values: [String: String]) throws -> AlphaPulseConfig {
        try AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: values))
    }

    @Test func authOffIsRefusedUnlessTheGatewayBindsLoopback() throws {
        let error = #expect(throws: ConfigError.self) { try GatewaySettings(config: try Self.config(["gateway.auth": "off", "http.host": "0.0.0.0"])) }
        #expect(error?.key == "gateway.auth")
        let loopback = try GatewaySettings(config: try Self.config(["gateway.auth": "off", "http.host": "127.0.0.1"]))
        #expect(!loopback.auth)
        #expect(try GatewaySettings(config: try Self.config(["http.host": "0.0.0.0"])).auth)
    }

    @Test func metricsArePublicByDefaultOnlyOnLoopback() throws {
        #expect(try GatewaySettings(config: try Self.config(["http.host": "127.0.0.1"])).metricsPublic)
        #expect(try !GatewaySettings(config: try Self.config(["http.host": "0.0.0.0"])).metricsPublic)
        #expect(try GatewaySettings(config: try Self.config(["http.host": "0.0.0.0", "gateway.metrics_auth": "off"])).metricsPublic)
        #expect(try !GatewaySettings(config: try Self.config(["http.host": "127.0.0.1", "gateway.metrics_auth": "on"])).metricsPublic)
    }
}
