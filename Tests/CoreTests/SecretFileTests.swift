import Core
import Foundation
import Testing

/// `ALPHAPULSE_DATABASE_URL_FILE` / `ALPHAPULSE_REDIS_URL_FILE`: secrets read from files.
@Suite struct SecretFileTests {
    static func secretFile(_ content: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: Data(content.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }

    @Test func urlsAreReadFromFilesWithoutTheTrailingNewline() throws {
        let database = try Self.secretFile("postgresql://alphapulse:s3cret@127.0.0.1:55432/alphapulse\n")
        let redis = try Self.secretFile("redis://:r3dis@127.0.0.1:56379/0\r\n")
        defer { try? FileManager.default.removeItem(atPath: database); try? FileManager.default.removeItem(atPath: redis) }
        let resolved = try ConfigLoader().load(file: emptyConfig, environment: [
            "ALPHAPULSE_DATABASE_URL_FILE": database, "ALPHAPULSE_REDIS_URL_FILE": redis,
        ])
        #expect(resolved.string("database.url") == "postgresql://alphapulse:s3cret@127.0.0.1:55432/alphapulse")
        #expect(resolved.string("redis.url") == "redis://:r3dis@127.0.0.1:56379/0")
        #expect(resolved.entries["database.url"]?.origin == "ALPHAPULSE_DATABASE_URL_FILE=\(database)")

        let dump = resolved.redactedEntries().map { "\($0.path) = \($0.value)    # \($0.origin)" }.joined(separator: "\n")
        #expect(!dump.contains("s3cret") && !dump.contains("r3dis"))
        #expect(dump.contains("redis.url = redis://:***@127.0.0.1:56379/0    # ALPHAPULSE_REDIS_URL_FILE=\(redis)"))

        // A flag still wins over the file, as over the variable.
        let flagged = try ConfigLoader().load(file: emptyConfig, environment: ["ALPHAPULSE_REDIS_URL_FILE": redis],
                                              flags: ["redis.url": "redis://cache:6379/1"])
        #expect(flagged.string("redis.url") == "redis://cache:6379/1")
    }

    @Test func anUnreadableFileIsAConfigurationError() throws {
        let missing = "/nonexistent/alphapulse-\(UUID().uuidString)"
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: emptyConfig, environment: ["ALPHAPULSE_DATABASE_URL_FILE": missing])
        }
        #expect(error?.key == "database.url")
        #expect(error?.description.contains(missing) == true)
        #expect(error?.description.contains("no such file") == true)

        let folder = #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: emptyConfig, environment: ["ALPHAPULSE_REDIS_URL_FILE": NSTemporaryDirectory()])
        }
        #expect(folder?.key == "redis.url")

        let empty = try Self.secretFile("\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let emptyError = #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: emptyConfig, environment: ["ALPHAPULSE_REDIS_URL_FILE": empty])
        }
        #expect(emptyError?.description.contains("empty") == true)
    }

    @Test func aBadURLInAFileIsReportedWithoutItsPassword() throws {
        let file = try Self.secretFile("http://:s3cret@cache:6379\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: emptyConfig, environment: ["ALPHAPULSE_REDIS_URL_FILE": file])
        }
        #expect(error?.origin == "ALPHAPULSE_REDIS_URL_FILE=\(file)")
        #expect(error.map { !$0.description.contains("s3cret") } == true)
    }

    @Test func theFileAndThePlainVariableTogetherAreAnError() throws {
        let file = try Self.secretFile("postgresql://u:p@db/x\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: emptyConfig, environment: [
                "ALPHAPULSE_DATABASE_URL": "postgresql://u:q@db/x", "ALPHAPULSE_DATABASE_URL_FILE": file,
            ])
        }
        #expect(error?.key == "database.url")
        #expect(error?.message == "set ALPHAPULSE_DATABASE_URL or ALPHAPULSE_DATABASE_URL_FILE, not both")
    }

    /// Only secrets have a file form; other keys ignore a stray `_FILE` variable.
    @Test func nonSecretKeysHaveNoFileForm() throws {
        let resolved = try ConfigLoader().load(file: emptyConfig, environment: ["ALPHAPULSE_LOG_LEVEL_FILE": "/nonexistent"])
        #expect(resolved.entries["log.level"]?.origin == "default")
    }
}
