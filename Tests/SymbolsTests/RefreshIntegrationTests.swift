import Contracts
import Core
import Foundation
import Postgres
import REST
import Replay
import Testing
import TestSupport
@testable import Symbols

/// Refreshes against the replay's synthetic markets, with PostgreSQL and Redis live.
@Suite struct RefreshIntegrationTests {
    @Test func theStoredListEqualsAnIndependentRankingAndExcludesEveryTrap() async throws {
        try await SymbolsHarness.with("symbols_rank") { (harness: SymbolsHarness) async throws in
            let listener = try await ChangeListener(harness: harness)
            defer { Task { await listener.close() } }
            let report = try await harness.refresher(futures: 10, spot: 12).refresh()

            let futures = harness.expectedRanking(.futures, count: 10)
            let spot = harness.expectedRanking(.spot, count: 12)
            #expect(futures.count == 10 && spot.count == 12)
            #expect(try await harness.activeSymbols(.futures) == futures)
            #expect(try await harness.activeSymbols(.spot) == spot)

            // The traps exist in the replay, trade heavily, and are all left out.
            let spotData = harness.data.spot, futuresData = harness.data.futures
            let spotTraps = ["BTCUPUSDT", "BTCDOWNUSDT", "USDCUSDT", "FDUSDUSDT", "TUSDUSDT", "ETHBTC", "BNBETH"]
                + spotData.symbols.filter { $0.status == "BREAK" }.map(\.symbol)
            let futuresTraps = ["USDCUSDT"] + futuresData.symbols.filter { $0.status == "BREAK" || $0.contractType == "CURRENT_QUARTER" }.map(\.symbol)
            #expect(spotTraps.count == 8 && futuresTraps.count == 3)
            for trap in spotTraps { #expect(spotData.info(trap) != nil, "\(trap) is in the replay") }
            let now = harness.replay.clock.nowMillis()
            let usdc = try #require(spotData.ticker24h(symbol: "USDCUSDT", now: now))
            let lastTracked = try #require(spotData.ticker24h(symbol: spot.last!, now: now))
            #expect(Double(usdc.quoteVolume)! > Double(lastTracked.quoteVolume)!, "a naive ranking would take the stablecoin")
            let stored = Set(try await SymbolStore(postgres: harness.postgres).active().map(\.symbol))
            #expect(stored.isDisjoint(with: spotTraps + futuresTraps))

            // Figures are Binance's text, ranks 1...n, one history row per tracked symbol.
            let first = try #require(try await SymbolStore(postgres: harness.postgres).active(market: .spot).first)
            let ticker = try #require(spotData.ticker24h(symbol: first.symbol, now: now))
            #expect(first.rank == 1 && first.quoteVolume24h == ticker.quoteVolume && first.lastPrice == ticker.lastPrice)
            #expect(try await harness.postgres.query("SELECT count(*) FROM tracked_symbols_history")[0].decode(0, as: Int.self) == 22)

            // Cache and the first change message: everything added.
            let cached = try #require(try await SymbolCache(redis: harness.redis, prefix: harness.prefix).read())
            #expect(cached.version == 1 && report.version == 1)
            #expect(cached.futures.map(\.symbol) == futures && cached.spot.map(\.symbol) == spot)
            let messages = try await listener.drain()
            #expect(messages.count == 1)
            #expect(messages.first?.version == 1)
            #expect(Set(messages.first?.added ?? []) == Set(futures.map { MarketSymbol(.futures, $0) } + spot.map { MarketSymbol(.spot, $0) }))
            #expect(messages.first?.removed.isEmpty == true)
        }
    }

    @Test func shiftedVolumesPublishExactlyTheAddedAndRemovedSymbols() async throws {
        try await SymbolsHarness.with("symbols_shift") { (harness: SymbolsHarness) async throws in
            let refresher = harness.refresher(futures: 10, spot: 12)
            _ = try await refresher.refresh()
            let listener = try await ChangeListener(harness: harness)
            defer { Task { await listener.close() } }

            // An unchanged market refreshes without a message or a new version.
            let again = try await refresher.refresh()
            #expect(again.version == 1 && again.published == 0 && again.added.isEmpty && again.removed.isEmpty)
            #expect(try await listener.drain().isEmpty)

            // Move the replay's clock until the 24 h volumes reorder the top lists.
            let before = Set(harness.expectedRanking(.futures, count: 10).map { MarketSymbol(.futures, $0) }
                + harness.expectedRanking(.spot, count: 12).map { MarketSymbol(.spot, $0) })
            var after = before
            for _ in 0..<16 where after == before {
                harness.replay.clock.advance(byMillis: 3_600_000)
                after = Set(harness.expectedRanking(.futures, count: 10).map { MarketSymbol(.futures, $0) }
                    + harness.expectedRanking(.spot, count: 12).map { MarketSymbol(.spot, $0) })
            }
            try #require(after != before, "the synthetic volumes must shift within 16 hours")
            let added = after.subtracting(before).sorted(), removed = before.subtracting(after).sorted()

            let report = try await refresher.refresh()
            #expect(report.version == 2)
            #expect(report.added == added && report.removed == removed)
            let messages = try await listener.drain()
            #expect(messages.count == 1)
            #expect(messages.first?.version == 2)
            #expect(messages.first?.added == added)
            #expect(messages.first?.removed == removed)

            // Symbols that fell out stay, inactive; history holds all three snapshots.
            for symbol in removed {
                let row = try await harness.postgres.query(
                    "SELECT is_active FROM tracked_symbols WHERE market = \(symbol.market.rawValue) AND symbol = \(symbol.symbol)")
                #expect(try row.first?.decode(0, as: Bool.self) == false, "\(symbol.symbol)")
            }
            #expect(try await harness.postgres.query("SELECT count(DISTINCT snapshot_at) FROM tracked_symbols_history")[0].decode(0, as: Int.self) == 3)
            let cached = try #require(try await SymbolCache(redis: harness.redis, prefix: harness.prefix).read())
            #expect(cached.version == 2)
            #expect(Set(cached.futures.map { MarketSymbol(.futures, $0.symbol) } + cached.spot.map { MarketSymbol(.spot, $0.symbol) }) == after)
        }
    }

    /// Each way Binance can fail leaves the list, its history and the cache exactly as they
    /// were, publishes nothing, and names its cause.
    @Test func everyFailureLeavesTheLastGoodListUntouched() async throws {
        try await SymbolsHarness.with("symbols_fail") { (harness: SymbolsHarness) async throws in
            // Timeouts long enough for a starved machine, except where the timeout is the fault.
            let refresher = harness.refresher(futures: 10, spot: 12)
            _ = try await refresher.refresh()
            harness.replay.clock.advance(byMillis: 12 * 3_600_000)  // a refresh now would change the list
            let listener = try await ChangeListener(harness: harness)
            defer { Task { await listener.close() } }
            let before = try await harness.snapshot()

            let faults: [(String, @Sendable () -> Void, SymbolsError.Cause)] = [
                ("503", { harness.faults.failWithStatus(503, for: 30) }, .serverError),
                ("400", { harness.faults.failWithStatus(400, for: 30) }, .httpError),
                ("429", { harness.faults.failWithStatus(429, for: 30) }, .rateLimited),
                ("418", { harness.faults.failWithStatus(418, for: 30) }, .banned),
                ("timeout", { harness.faults.hang(for: 30) }, .unreachable),
                ("truncated", { harness.faults.damageBodies(.truncated, for: 30) }, .malformed),
                ("malformed", { harness.faults.damageBodies(.malformed, for: 30) }, .malformed),
                ("short", { harness.faults.damageBodies(.short, for: 30) }, .shortList),
            ]
            for (name, inject, cause) in faults {
                inject()
                // A fresh refresher each time: a client that saw a 429 or 418 keeps refusing.
                let error = await #expect(throws: SymbolsError.self, "\(name)") {
                    try await harness.refresher(futures: 10, spot: 12, timeout: name == "timeout" ? .seconds(1) : .seconds(60)).refresh()
                }
                #expect(error?.cause == cause, "\(name): \(String(describing: error))")
                harness.faults.clear()
                #expect(try await harness.snapshot() == before, "\(name) changed the stored list, history or cache")
            }

            // Unreachable: nothing listens on the port.
            let closedPort = try freePort()
            var unreachable = harness.refresher(futures: 10, spot: 12, timeout: .seconds(1))
            unreachable.source = BinanceSymbolsSource(
                client: RESTClient(configuration: .init(timeout: .seconds(1), connectTimeout: .seconds(1), maxRetries: 0)),
                spotURL: "http://127.0.0.1:\(closedPort)", futuresURL: "http://127.0.0.1:\(closedPort)")
            let error = await #expect(throws: SymbolsError.self) { try await unreachable.refresh() }
            #expect(error?.cause == .unreachable)
            #expect(try await harness.snapshot() == before)
            #expect(try await listener.drain().isEmpty, "a failed refresh publishes nothing")

            // Once Binance answers again, the refresh goes through.
            let report = try await refresher.refresh()
            #expect(report.version == 2)
            #expect(try await listener.drain().count == 1)
        }
    }

    @Test func aChangeWhosePublicationFailedIsPublishedByTheNextRefresh() async throws {
        try await SymbolsHarness.with("symbols_missed") { (harness: SymbolsHarness) async throws in
            let refresher = harness.refresher(futures: 10, spot: 12)
            _ = try await refresher.refresh()
            // The process stored version 2 but died before Redis heard of it.
            let store = SymbolStore(postgres: harness.postgres)
            let current = try await store.active()
            let dropped = current.first { $0.market == .futures }!
            let change = try await store.store(current.filter { $0 != dropped }, at: Date())
            #expect(change.version == 2 && change.removed == [MarketSymbol(.futures, dropped.symbol)])
            let listener = try await ChangeListener(harness: harness)
            defer { Task { await listener.close() } }

            let report = try await refresher.refresh()
            #expect(report.version == 3 && report.added == [MarketSymbol(.futures, dropped.symbol)])
            let messages = try await listener.drain()
            #expect(messages.map(\.version) == [2, 3])
            #expect(messages.first?.removed == [MarketSymbol(.futures, dropped.symbol)])
            #expect(try await SymbolCache(redis: harness.redis, prefix: harness.prefix).read()?.version == 3)
        }
    }
}
