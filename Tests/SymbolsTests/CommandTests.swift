import Contracts
import Foundation
import Testing
import TestSupport
@testable import Symbols

/// `alphapulse-symbols refresh` and `list` as an operator runs them.
@Suite struct CommandTests {
    func executable() throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("alphapulse-symbols").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is not built")
        return path
    }

    @Test func refreshExitsZeroOnSuccessAndNonZeroWithTheCauseOnFailure() async throws {
        try await SymbolsHarness.with("symbols_cmd") { (harness: SymbolsHarness) async throws in
            let url = try TestEnvironment.databaseURL()
            var environment = ProcessInfo.processInfo.environment
            environment["ALPHAPULSE_DATABASE_URL"] = url + (url.contains("?") ? "&" : "?") + "search_path=" + harness.schema
            environment["ALPHAPULSE_DATABASE_POOL_MIN"] = "1"
            environment["ALPHAPULSE_REDIS_URL"] = try TestEnvironment.redisURL()
            environment["ALPHAPULSE_REDIS_PREFIX"] = harness.prefix
            environment["ALPHAPULSE_BINANCE_SPOT_REST_URL"] = harness.baseURL
            environment["ALPHAPULSE_BINANCE_FUTURES_REST_URL"] = harness.baseURL
            environment["ALPHAPULSE_SYMBOLS_FUTURES"] = "10"
            environment["ALPHAPULSE_SYMBOLS_SPOT"] = "12"
            environment["ALPHAPULSE_REST_MAX_RETRIES"] = "0"
            environment["ALPHAPULSE_LOG_LEVEL"] = "error"

            let refreshed = try await runCommandAsync([try executable(), "refresh"], environment: environment)
            #expect(refreshed.status == 0, "\(refreshed.output)")
            #expect(refreshed.output.contains("refreshed: futures 10 of"), "\(refreshed.output)")

            let listed = try await runCommandAsync([try executable(), "list", "--market", "futures", "--json"], environment: environment)
            #expect(listed.status == 0)
            let start = try #require(listed.output.firstIndex(of: "["))
            let list = try JSONDecoder().decode([TrackedSymbol].self, from: Data(listed.output[start...].utf8))
            #expect(list.map(\.symbol) == harness.expectedRanking(.futures, count: 10))
            #expect(list.allSatisfy { $0.market == .futures })
            let table = try await runCommandAsync([try executable(), "list"], environment: environment)
            #expect(table.output.contains("MARKET") && table.output.split(separator: "\n").count >= 23)

            harness.faults.failWithStatus(503, for: 60)
            let failed = try await runCommandAsync([try executable(), "refresh"], environment: environment)
            #expect(failed.status != 0)
            #expect(failed.output.contains("refresh failed, the stored list is unchanged: server_error"), "\(failed.output)")
            let bad = try await runCommandAsync([try executable(), "list", "--market", "options"], environment: environment)
            #expect(bad.status != 0)
        }
    }
}
