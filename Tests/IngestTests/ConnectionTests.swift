import Binance
import Core
import Foundation
import Logging
import Redis
import Replay
import Testing
import TestSupport
@testable import Ingest

@Suite struct ConnectionTests {
    func manager(_ harness: IngestHarness, settings: StreamSlot.Settings = IngestHarness.fastSettings, metrics: IngestMetrics) -> (ConnectionManager, KlineSink) {
        let sink = KlineSink(redis: harness.redis, keys: harness.keys, settings: .init(maxBytes: 1 << 30), metrics: metrics, logger: harness.logger)
        let manager = ConnectionManager(
            endpoints: harness.endpoints, limits: [.spot: .spot, .futures: .futures], settings: settings, sink: sink, metrics: metrics,
            logger: harness.logger) { _, _ in }
        return (manager, sink)
    }

    static func perpetuals() async throws -> [String] {
        try await IngestHarness.markets().futures.symbols.filter { $0.status == "TRADING" && ($0.contractType.isEmpty || $0.contractType == "PERPETUAL") }
            .map(\.symbol).sorted()
    }

    /// A new symbol list changes subscriptions on the open connection: no reconnect.
    @Test func symbolChangesAreAppliedLiveWithoutReconnecting() async throws {
        try await IngestHarness.with("ingest_live", speed: 60) { (harness: IngestHarness) async throws in
            let metrics = IngestMetrics()
            // Silence limits a loaded machine cannot hit by stalling the in-process replay: only a
            // change of subscriptions could replace the connection here.
            var settings = IngestHarness.fastSettings
            settings.connectionSilence = .seconds(15)
            settings.symbolSilence = .seconds(15)
            let (manager, _) = manager(harness, settings: settings, metrics: metrics)
            let symbols = try await Self.perpetuals()
            try #require(symbols.count >= 4)
            manager.apply([.futures: Set(symbols[0..<3])])
            #expect(await waitUntil { Set(harness.hub.status().connections.flatMap(\.streams)).count == 6 })
            let accepted = harness.hub.connectionsAccepted
            manager.apply([.futures: Set(symbols[1..<4])])
            let expected = Set(symbols[1..<4].flatMap { [$0.lowercased() + "@kline_1m", $0.lowercased() + "@markPrice@1s"] })
            #expect(await waitUntil { Set(harness.hub.status().connections.flatMap(\.streams)) == expected })
            #expect(harness.hub.connectionsAccepted == accepted, "no new connection for a change that fits")
            #expect(metrics.totals.reconnects == 0)
            await manager.stop()
            // Generous: other suites' synchronous child-process waits can hold the cooperative
            // threads the in-process replay needs to notice the close.
            #expect(await waitUntil(timeout: .seconds(90)) { harness.hub.connectionCount == 0 })
        }
    }

    /// The review's M2: a symbol subscribed live on a connection older than the symbol-silence
    /// limit must not make the watchdog replace the connection. The added symbol never trades
    /// (the replay has no such market), so without the fix the first watchdog tick after the
    /// change would count its silence from the connection's start and reconnect.
    @Test func aSymbolAddedToAnOldConnectionDoesNotReconnectIt() async throws {
        try await IngestHarness.with("ingest_live_old", speed: 60) { (harness: IngestHarness) async throws in
            let metrics = IngestMetrics()
            var settings = IngestHarness.fastSettings
            // Limits a loaded machine's stalls of the in-process replay stay well inside.
            settings.connectionSilence = .seconds(15)
            settings.symbolSilence = .seconds(8)
            let (manager, _) = manager(harness, settings: settings, metrics: metrics)
            let symbols = Array(try await Self.perpetuals().prefix(2))
            try #require(symbols.count == 2)
            manager.apply([.futures: Set(symbols)])
            #expect(await waitUntil { Set(harness.hub.status().connections.flatMap(\.streams)).count == 4 })
            let accepted = harness.hub.connectionsAccepted
            // Older than the symbol limit, while the two real symbols keep it alive.
            try await Task.sleep(for: .seconds(9))
            #expect(harness.hub.connectionsAccepted == accepted)
            manager.apply([.futures: Set(symbols + ["ZZZUSDT"])])
            #expect(await waitUntil { harness.hub.status().connections.flatMap(\.streams).contains("zzzusdt@kline_1m") })
            // Well inside the new symbol's own 8 s.
            try await Task.sleep(for: .seconds(3))
            #expect(harness.hub.connectionsAccepted == accepted, "the live change replaced the connection")
            #expect(metrics.totals.reconnects == 0)
            // The watchdog still works: a symbol that stays silent past its own limit is acted on.
            #expect(await waitUntil(timeout: .seconds(60)) { harness.hub.connectionsAccepted > accepted })
            await manager.stop()
            #expect(await waitUntil(timeout: .seconds(90)) { harness.hub.connectionCount == 0 })
        }
    }

    /// Past its rotation age a connection is replaced by one that is subscribed first: no
    /// minute is lost, with no backfill to help.
    @Test func rotationSubscribesTheNewConnectionBeforeClosingTheOld() async throws {
        try await IngestHarness.with("ingest_rotate", speed: 120) { (harness: IngestHarness) async throws in
            let metrics = IngestMetrics()
            var settings = IngestHarness.fastSettings
            settings.rotateAfter = .seconds(2)
            // Only the rotation may replace a connection here, not a stall of a loaded machine.
            settings.connectionSilence = .seconds(15)
            settings.symbolSilence = .seconds(15)
            let (manager, sink) = manager(harness, settings: settings, metrics: metrics)
            let symbol = try #require(try await Self.perpetuals().first)
            let flusher = Task {
                while !Task.isCancelled {
                    try? await sink.flush()
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            manager.apply([.futures: [symbol]])
            try await Task.sleep(for: .seconds(7))
            await manager.stop()
            flusher.cancel()
            try await sink.flush()
            #expect(harness.hub.connectionsAccepted >= 2, "rotated")
            #expect(metrics.totals.reconnects == 0, "a rotation is not a failure")
            let minutes = try #require(try await harness.streamed()[MarketSymbolKey(market: .futures, symbol: symbol)]).keys.sorted()
            #expect(minutes.count >= 10)
            #expect(minutes.last! - minutes.first! == Int64(minutes.count - 1) * 60_000, "a minute was lost during a rotation")
        }
    }
}
