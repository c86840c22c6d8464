import Analysis
import CandleStore
import Contracts
import Core
import Foundation
import REST
import Redis
import Replay
import Testing
import TestSupport
@testable import Ingest

/// The derivatives fetcher against the replay and the run's PostgreSQL and Redis.
@Suite struct DerivativesFetcherTests {
    struct Row: Decodable {
        let timestamp: Int64?
        let fundingTime: Int64?
        let sumOpenInterest: String?
        let longShortRatio: String?
        let fundingRate: String?
    }

    /// A first pass stores each series' history exactly as the replay serves it and one premium
    /// sample from the mark price hash; a pass at once after stores nothing; five exchange
    /// minutes later one new open-interest and long/short sample each.
    @Test func storesEachSeriesOncePerPeriod() async throws {
        try await TestStores.with("derivatives_fetch") { stores in
            try await IngestHarness.with(#function, speed: 0) { harness in
                let symbol = try #require(try await IngestHarness.markets().futures.symbols.first?.symbol)
                let keys = RedisKeys(prefix: stores.prefix)
                let store = DerivativesStore(postgres: stores.pool)
                let clock = harness.replay.clock
                let fetcher = DerivativesFetcher(
                    client: RESTClient(configuration: .init(maxRetries: 1)), futuresURL: "http://127.0.0.1:\(harness.port)", store: store,
                    redis: stores.redis, keys: keys, symbols: { [symbol] }, now: { clock.nowMillis() }, logger: harness.logger)
                let now = clock.nowMillis()
                let mark = MarkPrice(markPrice: "101.0", indexPrice: "100.0", estimatedSettlePrice: "100.5", fundingRate: "0.0001",
                                     nextFundingTime: now + 3_600_000, eventTime: now - 1_000)
                _ = try await stores.redis.send(arguments: ["HSET", .init(keys.mark(symbol))] + mark.fields.flatMap { [RedisArgument($0.0), RedisArgument($0.1)] })

                try await fetcher.pass()
                func stored(_ series: DerivativeSeries) async throws -> [(Int64, String)] {
                    try await stores.pool.query("""
                        SELECT (extract(epoch FROM time) * 1000)::bigint, value::text FROM derivatives
                        WHERE symbol = \(symbol) AND series = \(series.rawValue) ORDER BY time
                        """).map { (try $0.decode(0, as: Int64.self), try $0.decode(1, as: String.self)) }
                }
                let client = RESTClient(configuration: .init(maxRetries: 1))
                func served(_ path: String, _ query: [(name: String, value: String)]) async throws -> [Row] {
                    try await client.get("http://127.0.0.1:\(harness.port)" + path, query: [("symbol", symbol)] + query).json([Row].self)
                }
                let funding = try await served("/fapi/v1/fundingRate", [("limit", "100")])
                let interest = try await served("/futures/data/openInterestHist", [("period", "5m"), ("limit", "500")])
                let ratios = try await served("/futures/data/globalLongShortAccountRatio", [("period", "5m"), ("limit", "500")])
                #expect(!funding.isEmpty && interest.count > 12 && ratios.count > 12)
                let storedFunding = try await stored(.funding)
                let storedInterest = try await stored(.openInterest)
                let storedRatios = try await stored(.longShort)
                let fundingTimes = funding.compactMap(\.fundingTime)
                let fundingValues = funding.map { row in row.fundingRate.flatMap { Double($0) } }
                let interestTimes = interest.compactMap(\.timestamp)
                let interestValues = interest.map { row in row.sumOpenInterest.flatMap { Double($0) } }
                let ratioValues = ratios.map { row in row.longShortRatio.flatMap { Double($0) } }
                #expect(storedFunding.map(\.0) == fundingTimes)
                #expect(storedFunding.map { Double($0.1) } == fundingValues)
                #expect(storedInterest.map(\.0) == interestTimes)
                #expect(storedInterest.map { Double($0.1) } == interestValues)
                #expect(storedRatios.map { Double($0.1) } == ratioValues)
                let premium = try await stored(.premium)
                #expect(premium.count == 1 && premium.first?.0 == now - 1_000 && Double(premium.first?.1 ?? "") == 0.01)
                let total = try await stores.pool.query("SELECT count(*) FROM derivatives").first?.decode(0, as: Int.self)
                #expect(fetcher.totals.samples == total && fetcher.totals.errors == 0)

                try await fetcher.pass()
                #expect(try await stores.pool.query("SELECT count(*) FROM derivatives").first?.decode(0, as: Int.self) == total, "nothing due yet")

                clock.advance(byMillis: 300_000)
                try await fetcher.pass()
                #expect(try await stored(.openInterest).count == interest.count + 1)
                #expect(try await stored(.longShort).count == ratios.count + 1)
                #expect(try await stored(.funding).count == funding.count)
                #expect(try await stored(.premium).count == 1, "the mark price did not move: no new sample")
            }
        }
    }
}
