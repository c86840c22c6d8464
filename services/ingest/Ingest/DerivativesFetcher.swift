import Analysis
import Binance
import CandleStore
import Contracts
import Core
import Foundation
import Logging
import Metrics
import REST
import Redis
import ServiceRuntime
import Synchronization

/// Fetches the derivatives history of every tracked futures symbol into PostgreSQL
/// (`derivatives`), once per period per symbol for the whole suite: only the ingest instance
/// holding the `derivatives` lease fetches.
///
/// - Funding from `/fapi/v1/fundingRate`, open interest from `/futures/data/openInterestHist`
///   and the global long/short account ratio from `/futures/data/globalLongShortAccountRatio`
///   (5-minute period), each request spending from the suite's Binance budget.
/// - Premium, `(mark − index) / index`, sampled from `ap:mark:{symbol}` every 5 minutes,
///   stamped with the mark price's event time (never earlier than it was known).
/// - When is decided by `DerivativesPlanner` on the exchange clock.
/// - Writes are idempotent (`ON CONFLICT DO NOTHING`), so a deposed leader's late write
///   stores nothing new; a pass also stops writing as soon as the lead is gone.
/// - A failed or malformed answer is logged, counted (`alphapulse.derivatives.errors`,
///   `series`) and retried after the planner's `retryAfter`.
///
/// Metrics: `alphapulse.derivatives.samples` (`series`: rows stored).
public final class DerivativesFetcher: Sendable {
    let client: RESTClient
    let futuresURL: String
    let store: DerivativesStore
    let redis: RedisClient
    let keys: RedisKeys
    let symbols: @Sendable () async throws -> [String]
    let now: @Sendable () -> Int64?
    let logger: Logger
    private let planner = Mutex(DerivativesPlanner())
    private let counts = Mutex<(samples: Int, errors: Int)>((0, 0))

    /// - Parameters:
    ///   - symbols: the tracked futures symbols.
    ///   - now: the exchange clock (ms); nil while unknown (nothing is fetched then).
    public init(
        client: RESTClient, futuresURL: String, store: DerivativesStore, redis: RedisClient, keys: RedisKeys,
        symbols: @escaping @Sendable () async throws -> [String], now: @escaping @Sendable () -> Int64?, logger: Logger
    ) {
        self.client = client
        self.futuresURL = futuresURL
        self.store = store
        self.redis = redis
        self.keys = keys
        self.symbols = symbols
        self.now = now
        self.logger = logger
    }

    /// Samples stored and errors met since start.
    public var totals: (samples: Int, errors: Int) { counts.withLock { $0 } }

    /// Fetches while `elector` leads, every `every`, until cancelled; each new lead starts from
    /// what is stored.
    public func run(elector: LeaderElector, every: Duration = .seconds(5)) async throws {
        var epoch: Int?
        while true {
            if let lead = elector.leadership {
                do {
                    if lead.epoch != epoch {
                        let seeded = try await store.newest(symbols: try await symbols())
                        planner.withLock { $0 = DerivativesPlanner(); $0.seed(seeded) }
                        epoch = lead.epoch
                    }
                    try await pass { elector.leadership?.epoch == lead.epoch }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    counts.withLock { $0.errors += 1 }
                    logger.warning("derivatives pass failed; retrying", metadata: ["error": "\(error)"])
                }
            } else {
                epoch = nil
            }
            try await Task.sleep(for: every)
        }
    }

    /// One pass: every due fetch and premium sample, while `leading()` holds.
    public func pass(leading: @Sendable () -> Bool = { true }) async throws {
        guard let now = now() else { return }
        let symbols = try await symbols()
        let due = planner.withLock { planner in
            planner.keep(Set(symbols))
            return planner.due(symbols: symbols, now: now)
        }
        for fetch in due {
            guard leading() else { return }
            do {
                let samples = try await self.fetch(fetch)
                guard leading() else { return }
                let result = try await store.insert(samples)
                record(fetch.series, stored: result.inserted, malformed: result.malformed)
                planner.withLock { $0.stored(fetch.symbol, fetch.series, newest: samples.map(\.time).max()) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                counts.withLock { $0.errors += 1 }
                Counter(label: "alphapulse.derivatives.errors", dimensions: [("series", fetch.series.rawValue)]).increment()
                logger.warning("derivatives fetch failed", metadata: [
                    "symbol": "\(fetch.symbol)", "series": "\(fetch.series.rawValue)", "error": "\(error)",
                ])
            }
        }
        for symbol in symbols where planner.withLock({ $0.premiumDue(symbol, now: now) }) {
            guard leading() else { return }
            guard let sample = try await premium(symbol), planner.withLock({ ($0.newest[.init(symbol: symbol, series: .premium)] ?? .min) < sample.time })
            else { continue }
            let result = try await store.insert([sample])
            record(.premium, stored: result.inserted, malformed: result.malformed)
            planner.withLock { $0.stored(symbol, .premium, newest: sample.time) }
        }
    }

    private func record(_ series: DerivativeSeries, stored: Int, malformed: Int) {
        counts.withLock {
            $0.samples += stored
            $0.errors += malformed
        }
        if stored > 0 { Counter(label: "alphapulse.derivatives.samples", dimensions: [("series", series.rawValue)]).increment(by: stored) }
        if malformed > 0 { Counter(label: "alphapulse.derivatives.errors", dimensions: [("series", series.rawValue)]).increment(by: malformed) }
    }

    private struct Funding: Decodable {
        let fundingTime: Int64
        let fundingRate: String
    }

    private struct Interest: Decodable {
        let sumOpenInterest: String
        let timestamp: Int64
    }

    private struct Ratio: Decodable {
        let longShortRatio: String
        let timestamp: Int64
    }

    /// The samples of one fetch, newer than `fetch.after`.
    func fetch(_ fetch: DerivativesPlanner.Fetch) async throws -> [DerivativesStore.Sample] {
        var query: [(name: String, value: String)] = [("symbol", fetch.symbol)]
        let path: String
        switch fetch.series {
        case .funding:
            path = "/fapi/v1/fundingRate"
            query.append(("limit", "100"))
        case .openInterest:
            path = "/futures/data/openInterestHist"
            query += [("period", "5m"), ("limit", "500")]
        case .longShort:
            path = "/futures/data/globalLongShortAccountRatio"
            query += [("period", "5m"), ("limit", "500")]
        case .premium:
            return []
        }
        if let after = fetch.after { query.append(("startTime", String(after + 1))) }
        let response = try await client.get(
            futuresURL + path, query: query, cost: RequestCost(pool: Market.futures.rawValue, weight: RequestWeights.futuresData))
        let samples: [(Int64, String)]
        switch fetch.series {
        case .funding: samples = try response.json([Funding].self).map { ($0.fundingTime, $0.fundingRate) }
        case .openInterest: samples = try response.json([Interest].self).map { ($0.timestamp, $0.sumOpenInterest) }
        case .longShort: samples = try response.json([Ratio].self).map { ($0.timestamp, $0.longShortRatio) }
        case .premium: samples = []
        }
        return samples.filter { $0.0 > (fetch.after ?? .min) }.map {
            DerivativesStore.Sample(symbol: fetch.symbol, series: fetch.series, time: $0.0, value: $0.1)
        }
    }

    /// The premium now, from the mark price hash ingest keeps; nil when absent or unusable.
    func premium(_ symbol: String) async throws -> DerivativesStore.Sample? {
        let fields = try await redis.hgetall(keys.mark(symbol))
        guard !fields.isEmpty, let mark = try? MarkPrice(fields: StreamFields(fields)),
              let price = Double(mark.markPrice), let index = Double(mark.indexPrice), index > 0,
              let text = DecimalText.format(((price - index) / index * 1e8).rounded() / 1e8)
        else { return nil }
        return DerivativesStore.Sample(symbol: symbol, series: .premium, time: mark.eventTime, value: text)
    }
}
