import Core
import Foundation
import Testing

/// An empty configuration file, so only defaults and the environment count: one name for every
/// run (always the same content), so runs leave no file each behind.
let emptyConfig: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("alphapulse-empty-config.yaml").path
    _ = FileManager.default.createFile(atPath: path, contents: Data("{}\n".utf8))
    return path
}()

@Suite struct RedactionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let url: String
        /// Text that must never be shown.
        let secrets: [String]
        /// Text that must stay visible (host, port, database, harmless parameters).
        let visible: [String]
        var testDescription: String { url }
    }

    static let cases: [Case] = [
        // userinfo passwords
        Case(url: "postgresql://app:hunter2@db:5432/ap", secrets: ["hunter2"], visible: ["postgresql://app:***@db:5432/ap"]),
        Case(url: "redis://:s3cret@cache:6379/0", secrets: ["s3cret"], visible: ["redis://:***@cache:6379/0"]),
        Case(url: "redis://app:s3cret@cache:6379/0", secrets: ["s3cret"], visible: ["redis://app:***@cache:6379/0"]),
        Case(url: "redis://:pa/ss@h:6379/0", secrets: ["pa/ss", "ss@"], visible: ["redis://:***@h:6379/0"]),
        Case(url: "redis://:pa#ss@h/0", secrets: ["pa#ss", "ss@"], visible: ["redis://:***@h/0"]),
        Case(url: "redis://:pa?ss@h:6379/0", secrets: ["pa?ss", "ss@"], visible: ["redis://:***@h:6379/0"]),
        Case(url: "postgresql://u:p@ss@h/db", secrets: ["p@ss", "ss@"], visible: ["postgresql://u:***@h/db"]),
        Case(url: "postgresql://u:p@s/s?x#y@h:5432/db", secrets: ["p@s/s?x#y", "s/s", "x#y"], visible: ["postgresql://u:***@h:5432/db"]),
        Case(url: "postgresql://u:p%40ss@h:5432/db", secrets: ["p%40ss"], visible: ["postgresql://u:***@h:5432/db"]),
        Case(url: "postgresql://u:@h/db", secrets: [], visible: ["postgresql://u:@h/db"]),
        // query passwords, in any position and case
        Case(url: "postgresql://ap@db/ap?password=s3cret", secrets: ["s3cret"], visible: ["postgresql://ap@db/ap?password=***"]),
        Case(url: "postgresql://db/ap?password=s3cret", secrets: ["s3cret"], visible: ["postgresql://db/ap?password=***"]),
        Case(url: "postgresql://db/ap?sslmode=require&password=s3cret", secrets: ["s3cret"], visible: ["db/ap?sslmode=require&password=***"]),
        Case(url: "postgresql://db:5432/ap?sslmode=require&password=s3cret&connect_timeout=5", secrets: ["s3cret"],
             visible: ["db:5432/ap?sslmode=require&password=***&connect_timeout=5"]),
        Case(url: "postgresql://db/ap?PASSWORD=s3cret", secrets: ["s3cret"], visible: ["db/ap?PASSWORD=***"]),
        Case(url: "postgresql://db/ap?pass=s3cret", secrets: ["s3cret"], visible: ["db/ap?pass=***"]),
        Case(url: "postgresql://db/ap?password=s3/c?r#t", secrets: ["s3/c?r#t", "c?r", "r#t"], visible: ["postgresql://db/ap?password=***"]),
        Case(url: "postgresql://u:pw@h/d?password=pw2&sslmode=require", secrets: ["pw@", ":pw", "pw2"],
             visible: ["postgresql://u:***@h/d?password=***&sslmode=require"]),
        // a query password holding an @: hidden whole, even if the host goes with it
        Case(url: "postgresql://db/ap?password=s3@cret", secrets: ["s3", "cret"], visible: ["postgresql://"]),
        // the key/value form of libpq
        Case(url: "host=db port=5432 password=s3cret dbname=ap", secrets: ["s3cret"], visible: ["host=db port=5432 password=*** dbname=ap"]),
        // no secret: unchanged
        Case(url: "redis://127.0.0.1:56379/0", secrets: [], visible: ["redis://127.0.0.1:56379/0"]),
        Case(url: "postgresql://alphapulse@127.0.0.1:55432/alphapulse?sslmode=disable", secrets: [],
             visible: ["postgresql://alphapulse@127.0.0.1:55432/alphapulse?sslmode=disable"]),
    ]

    @Test(arguments: cases) func passwordsAreHiddenAndTheRestStays(_ item: Case) {
        let shown = Redaction.url(item.url)
        for secret in item.secrets {
            #expect(!shown.contains(secret), "'\(secret)' shown in \(shown)")
        }
        for text in item.visible {
            #expect(shown.contains(text), "'\(text)' missing from \(shown)")
        }
    }

    /// The `config` dump and the validation messages use the same redaction.
    @Test(arguments: cases.filter { !$0.secrets.isEmpty && $0.url.contains("://") })
    func dumpsAndErrorsHideThePassword(_ item: Case) throws {
        let scheme = item.url.hasPrefix("redis") ? "redis" : "database"
        let variable = scheme == "redis" ? "ALPHAPULSE_REDIS_URL" : "ALPHAPULSE_DATABASE_URL"
        let resolved = try ConfigLoader().load(file: emptyConfig, environment: [variable: item.url])
        let dump = resolved.redactedEntries().map { "\($0.path) = \($0.value)" }.joined(separator: "\n")
        for secret in item.secrets {
            #expect(!dump.contains(secret), "'\(secret)' shown in the dump")
        }

        // The other key's scheme makes validation fail; its message must not show the secret.
        let wrong = scheme == "redis" ? "ALPHAPULSE_DATABASE_URL" : "ALPHAPULSE_REDIS_URL"
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader().load(file: emptyConfig, environment: [wrong: item.url])
        }
        for secret in item.secrets {
            #expect(error.map { !$0.description.contains(secret) } == true, "'\(secret)' shown in \(error?.description ?? "")")
        }
    }
}
