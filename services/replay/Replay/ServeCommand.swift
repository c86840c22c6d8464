import ArgumentParser
import Core
import Foundation
import Logging
import ServiceLifecycle
import ServiceRuntime

/// `alphapulse-replay [serve] --port P …`: serves Binance-compatible market data.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Binance-compatible REST and WebSocket market data from archives and synthetic markets."
    )

    @Option(help: "Port for REST, WebSocket and the /_replay control API.")
    var port = 9100

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(name: .customLong("futures"), help: ArgumentHelp("Folder (or file) of USDT-M kline archives, SYMBOL-1m-….csv/.zip (repeatable).", valueName: "dir"))
    var futuresDirectories: [String] = []

    @Option(name: .customLong("spot"), help: ArgumentHelp("Folder (or file) of spot kline archives (repeatable).", valueName: "dir"))
    var spotDirectories: [String] = []

    @Option(help: "Synthetic spot symbols to generate (traps come in addition).")
    var syntheticSpot = 0

    @Option(help: "Synthetic futures symbols to generate (traps come in addition).")
    var syntheticFutures = 0

    @Option(help: "Seed of the synthetic markets: the same seed gives the same markets.")
    var seed: UInt64 = 1

    @Option(help: "Days of synthetic history before the start.")
    var syntheticDays = 2

    @Option(help: ArgumentHelp("The replay's first \"now\", ISO 8601 (default: the first minute of the archives, else 2026-01-01T00:00:00Z for synthetic-only).", valueName: "iso8601"))
    var start: String?

    @Option(help: "Simulated seconds per real second (1 = real time, 0 = frozen; else 0.001...1000000).")
    var speed: Double = 1

    @Option(help: "REST weight per minute before 429, spot.")
    var spotWeightLimit = 6_000

    @Option(help: "REST weight per minute before 429, futures.")
    var futuresWeightLimit = 2_400

    @Option(help: "WebSocket streams per futures connection (Binance's documents say 200 or 1024).")
    var futuresMaxStreams = 200

    @Option(help: "Seconds after which a WebSocket connection is closed, as Binance does after 24 h.")
    var connectionLifetime: Double = 86_400

    @Option(help: "Log level.")
    var logLevel = "info"

    @Option(help: "Log format: text or json.")
    var logFormat = "text"

    public init() {}

    public func validate() throws {
        guard futuresDirectories.count + spotDirectories.count > 0 || syntheticSpot + syntheticFutures > 0 else {
            throw ValidationError("nothing to serve: give --futures/--spot archive folders or --synthetic-spot/--synthetic-futures counts")
        }
        guard speed == 0 || ReplayClock.speeds.contains(speed) else {
            throw ValidationError("--speed must be 0 (frozen) or between 0.001 and 1000000 simulated seconds per real second, got \(speed)")
        }
        guard connectionLifetime > 0, connectionLifetime <= Duration.longestReplayWait else {
            throw ValidationError("--connection-lifetime must be more than 0 and at most \(Int(Duration.longestReplayWait)) seconds")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard syntheticDays >= 0, syntheticSpot >= 0, syntheticFutures >= 0 else { throw ValidationError("counts and days cannot be negative") }
        if let start, Self.parseStart(start) == nil { throw ValidationError("--start must be ISO 8601, e.g. 2026-02-01T00:00:00Z") }
    }

    public func run() async throws {
        Observability.bootstrap(service: "replay", level: logLevel, format: logFormat)
        let logger = Logger(label: "alphapulse.replay")
        let real = (
            spot: try spotDirectories.isEmpty ? nil : MarketData.load(market: .spot, directories: spotDirectories),
            futures: try futuresDirectories.isEmpty ? nil : MarketData.load(market: .futures, directories: futuresDirectories)
        )
        let firstReal = [real.spot?.firstOpenTime, real.futures?.firstOpenTime].compactMap { $0 }.min()
        let startMillis = start.flatMap(Self.parseStart) ?? firstReal ?? 1_767_225_600_000
        func market(_ market: ReplayMarket, _ loaded: MarketData?, synthetic count: Int) -> MarketData? {
            var parts = loaded.map { [$0] } ?? []
            if count > 0 {
                parts.append(MarketData.synthetic(market: market, count: count, seed: seed, start: startMillis, days: syntheticDays))
            }
            return parts.isEmpty ? nil : (parts.count == 1 ? parts[0] : MarketData.merged(parts))
        }
        var options = ReplayOptions()
        options.spotWeightLimit = spotWeightLimit
        options.futuresWeightLimit = futuresWeightLimit
        options.futuresMaxStreams = futuresMaxStreams
        options.connectionLifetimeSeconds = connectionLifetime
        let state = ReplayState(
            clock: ReplayClock(start: startMillis, speed: speed),
            spot: market(.spot, real.spot, synthetic: syntheticSpot),
            futures: market(.futures, real.futures, synthetic: syntheticFutures),
            options: options,
            logger: logger
        )
        logger.info("serving", metadata: [
            "replay.port": "\(port)", "replay.start": "\(startMillis)", "replay.speed": "\(speed)",
            "replay.spot_symbols": "\(state.spot?.symbols.count ?? 0)", "replay.futures_symbols": "\(state.futures?.symbols.count ?? 0)",
        ])
        let server = ReplayServer.make(state: state, host: host, port: port)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server.application)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        defer { server.hub.stop() }
        try await group.run()
    }

    static func parseStart(_ text: String) -> Int64? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = plain.date(from: text) ?? withFraction.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
