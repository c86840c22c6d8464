import ArgumentParser
import Foundation
import ServiceRuntime

/// `alphapulse-symbols refresh`: one refresh, then exit (0 on success).
public struct RefreshCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Rank the markets once, store and publish the list, then exit.",
        discussion: "Exits 0 on success; on failure prints why and exits 1, leaving the last good list untouched."
    )

    @OptionGroup public var options: ServiceOptions

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let app = try await ServiceApp(service: "symbols", config: config, port: 0)
        let refresher = SymbolRefresher(context: app.context)
        do {
            let report = try await refresher.refresh()
            await app.close()
            let changes = report.added.isEmpty && report.removed.isEmpty
                ? "no change"
                : "added \(report.added.map { "\($0.market.rawValue):\($0.symbol)" }.joined(separator: ",").ifEmpty("none")), "
                    + "removed \(report.removed.map { "\($0.market.rawValue):\($0.symbol)" }.joined(separator: ",").ifEmpty("none"))"
            print("""
                refreshed: futures \(report.tracked[.futures] ?? 0) of \(report.eligible[.futures] ?? 0) eligible, \
                spot \(report.tracked[.spot] ?? 0) of \(report.eligible[.spot] ?? 0) eligible; version \(report.version); \(changes)
                """)
        } catch {
            await app.close()
            FileHandle.standardError.write(Data("refresh failed, the stored list is unchanged: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
