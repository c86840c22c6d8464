import Foundation
import Postgres
import Schema
import Testing
import TestSupport

/// Runs the built executables as an operator would.
@Suite struct ExecutableTests {
    static let services = ["symbols", "ingest", "scheduler", "inference", "gateway", "replay"]

    /// The executables sit beside the test bundle in the build folder.
    func executable(_ service: String) throws -> String {
        let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let path = buildDirectory.appendingPathComponent("alphapulse-\(service)").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is not built")
        return path
    }

    @Test(arguments: services)
    func everyExecutableHasHelpMigrateAndConfig(service: String) async throws {
        let help = try await runCommandAsync([try executable(service), "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("alphapulse-\(service)"))
        #expect(help.output.contains("migrate") && help.output.contains("config"))
        let migrateHelp = try await runCommandAsync([try executable(service), "migrate", "--help"])
        #expect(migrateHelp.status == 0)
        #expect(migrateHelp.output.contains("--database-url"))
    }

    @Test func migrateAppliesTheSchemaOnceAndReportsIt() async throws {
        let url = try TestEnvironment.databaseURL()
        let schema = TestEnvironment.uniqueName("exe_migrate")
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: url))
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        let target = url + (url.contains("?") ? "&" : "?") + "search_path=" + schema
        let environment = ProcessInfo.processInfo.environment
        let first = try await runCommandAsync([try executable("ingest"), "migrate", "--database-url", target], environment: environment)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("applied 1_initial"))
        let second = try await runCommandAsync([try executable("gateway"), "migrate", "--database-url", target], environment: environment)
        #expect(second.status == 0)
        #expect(second.output.contains("schema is up to date"))
        let status = try await runCommandAsync([try executable("symbols"), "migrate", "--status", "--database-url", target], environment: environment)
        #expect(status.output.contains("applied 1_initial"))
        let tables = try await admin.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = \(schema) AND table_name = 'candles'")
        #expect(try tables[0].decode(0, as: Int.self) == 1)
        try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
    }

    @Test func racingMigrateProcessesApplyTheSchemaExactlyOnce() async throws {
        let url = try TestEnvironment.databaseURL()
        let schema = TestEnvironment.uniqueName("exe_race")
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: url))
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        let target = url + (url.contains("?") ? "&" : "?") + "search_path=" + schema
        let processes = try Self.services.prefix(5).map { try SpawnedProcess([try executable($0), "migrate", "--database-url", target]) }
        var results: [(status: Int32, output: String)] = []
        for process in processes {
            results.append(try #require(await process.exit(within: .seconds(120)), "migrate did not finish"))
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.output))")
        #expect(results.filter { $0.output.contains("applied 1_initial") }.count == 1)
        #expect(results.filter { $0.output.contains("schema is up to date") }.count == 4)
        let recorded = try await admin.query("SELECT count(*) FROM \(identifier: schema).schema_migrations")
        #expect(try recorded[0].decode(0, as: Int.self) == (try Schema.migrations().count))
        try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
    }

    @Test func unreachableDatabaseFailsWithAClearMessage() async throws {
        let port = try freePort()
        let result = try await runCommandAsync([try executable("symbols"), "migrate", "--database-url", "postgresql://u:hunter2@127.0.0.1:\(port)/x?connect_timeout=2"])
        #expect(result.status != 0)
        #expect(result.output.contains("connectionFailed"))
        #expect(!result.output.contains("hunter2"))
    }

    @Test func invalidConfigurationStopsWithTheKeyNamed() async throws {
        let result = try await runCommandAsync([try executable("scheduler"), "config"], environment: ["ALPHAPULSE_ANALYSIS_BATCH_SIZE": "0", "PATH": "/usr/bin:/bin"])
        #expect(result.status != 0)
        #expect(result.output.contains("analysis.batch_size"))
        #expect(result.output.contains("ALPHAPULSE_ANALYSIS_BATCH_SIZE"))
    }

    @Test func configShowsOriginsAndHidesSecrets() async throws {
        let result = try await runCommandAsync(
            [try executable("inference"), "config", "--set", "symbols.spot=12"],
            environment: ["ALPHAPULSE_REDIS_URL": "redis://:topsecret@cache:6379/1", "PATH": "/usr/bin:/bin"]
        )
        #expect(result.status == 0)
        #expect(result.output.contains("symbols.spot = 12    # flag"))
        #expect(result.output.contains("redis.url = redis://:***@cache:6379/1    # ALPHAPULSE_REDIS_URL"))
        #expect(!result.output.contains("topsecret"))
    }
}
