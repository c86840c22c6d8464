import Contracts
import Core
import Foundation
import Logging
import Metrics

/// One refresh: fetch both markets from Binance, keep the eligible symbols, rank them, check
/// the list is trustworthy, store it (one transaction), then bring the Redis cache up to date
/// and publish what changed.
///
/// Everything before the transaction commits can fail without touching the stored list, its
/// history or the cache. Metrics: `alphapulse.symbols.refresh.duration` (timer),
/// `alphapulse.symbols.refreshes` (successes), `alphapulse.symbols.refresh.failures` (`cause`),
/// `alphapulse.symbols.last_success` (Unix seconds), `alphapulse.symbols.eligible` and
/// `alphapulse.symbols.tracked` (`market`), `alphapulse.symbols.changes` (`kind` added/removed).
public struct SymbolRefresher: Sendable {
    public var source: BinanceSymbolsSource
    public var store: SymbolStore
    public var cache: SymbolCache
    public var eligibility: Eligibility
    /// How many symbols to track per market; a market with 0 is not fetched and ends up empty.
    public var counts: [Market: Int]
    public var logger: Logger
    public var now: @Sendable () -> Date

    public init(
        source: BinanceSymbolsSource, store: SymbolStore, cache: SymbolCache, eligibility: Eligibility,
        counts: [Market: Int], logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.store = store
        self.cache = cache
        self.eligibility = eligibility
        self.counts = counts
        self.logger = logger
        self.now = now
    }

    /// What a successful refresh did.
    public struct Report: Sendable {
        public var version: Int64
        public var added: [MarketSymbol]
        public var removed: [MarketSymbol]
        public var eligible: [Market: Int]
        public var tracked: [Market: Int]
        /// Change messages published (more than one when earlier ones were missed).
        public var published: Int
        public var duration: Duration
    }

    /// - Throws: `SymbolsError`; its cause is also counted.
    public func refresh() async throws -> Report {
        let started = ContinuousClock.now
        do {
            let report = try await attempt(started: started)
            Timer(label: "alphapulse.symbols.refresh.duration").recordNanoseconds(
                Int64(report.duration.components.seconds) * 1_000_000_000 + report.duration.components.attoseconds / 1_000_000_000)
            Counter(label: "alphapulse.symbols.refreshes").increment()
            Gauge(label: "alphapulse.symbols.last_success").record(now().timeIntervalSince1970)
            for market in Market.allCases {
                Gauge(label: "alphapulse.symbols.eligible", dimensions: [("market", market.rawValue)]).record(report.eligible[market] ?? 0)
                Gauge(label: "alphapulse.symbols.tracked", dimensions: [("market", market.rawValue)]).record(report.tracked[market] ?? 0)
            }
            Counter(label: "alphapulse.symbols.changes", dimensions: [("kind", "added")]).increment(by: report.added.count)
            Counter(label: "alphapulse.symbols.changes", dimensions: [("kind", "removed")]).increment(by: report.removed.count)
            return report
        } catch let error as SymbolsError {
            Counter(label: "alphapulse.symbols.refresh.failures", dimensions: [("cause", error.cause.description)]).increment()
            throw error
        }
    }

    private func attempt(started: ContinuousClock.Instant) async throws -> Report {
        let previous: [Market: Int]
        do {
            previous = try await store.activeCounts()
        } catch {
            throw SymbolsError(.database, "reading the stored list: \(error)")
        }
        // Both markets at once; the first failure cancels the other.
        let listings = try await withThrowingTaskGroup(of: MarketListing.self) { group in
            for market in Market.allCases where (counts[market] ?? 0) > 0 {
                group.addTask { try await source.listing(market) }
            }
            var listings: [MarketListing] = []
            for try await listing in group { listings.append(listing) }
            return listings
        }
        var list: [TrackedSymbol] = []
        var eligibleCounts: [Market: Int] = [:]
        var trackedCounts: [Market: Int] = [:]
        for listing in listings.sorted(by: { $0.market.rawValue > $1.market.rawValue }) {
            let count = counts[listing.market] ?? 0
            let eligible = eligibility.eligible(listing.symbols, market: listing.market)
            let ranked = Ranking.rank(eligible: eligible, tickers: listing.tickers, market: listing.market, count: count)
            let minimum = Ranking.minimumTrusted(
                configured: count, eligible: eligible.count, previouslyTracked: previous[listing.market] ?? 0)
            guard ranked.count >= minimum else {
                throw SymbolsError(.shortList, """
                    \(listing.market): only \(ranked.count) rankable symbols (\(eligible.count) eligible of \(listing.symbols.count) \
                    listed, \(listing.tickers.count) tickers); a trustworthy list has at least \(minimum)
                    """)
            }
            eligibleCounts[listing.market] = eligible.count
            trackedCounts[listing.market] = ranked.count
            list += ranked
        }

        let change: SymbolStore.Change
        do {
            change = try await store.store(list, at: now())
        } catch {
            throw SymbolsError(.database, "storing the list: \(error)")
        }
        logger.info("symbols refreshed", metadata: [
            "symbols.version": "\(change.version)", "symbols.futures": "\(trackedCounts[.futures] ?? 0)",
            "symbols.spot": "\(trackedCounts[.spot] ?? 0)", "symbols.added": "\(change.added.map(\.symbol))",
            "symbols.removed": "\(change.removed.map(\.symbol))",
        ])
        let published = try await syncCache(list: list, version: change.version, newChange: !change.isEmpty)
        return Report(
            version: change.version, added: change.added, removed: change.removed, eligible: eligibleCounts,
            tracked: trackedCounts, published: published, duration: ContinuousClock.now - started)
    }

    /// Brings the cache up to the stored list. Publishes every recorded change the cache has
    /// not seen (so a change whose publication failed is published late rather than never);
    /// when the cache is missing altogether only `newChange` (the change just stored) is.
    /// - Returns: the number of messages published.
    /// - Throws: `SymbolsError` (`database` or `redis`).
    @discardableResult
    public func syncCache(list: [TrackedSymbol]? = nil, version: Int64? = nil, newChange: Bool = false) async throws -> Int {
        let cached: SymbolCache.Document?
        do {
            cached = try await cache.read()
        } catch {
            throw SymbolsError(.redis, "reading \(cache.key): \(error)")
        }
        let stored: (list: [TrackedSymbol], version: Int64, refreshedAt: Date)
        let missed: [(version: Int64, changedAt: Date, added: [MarketSymbol], removed: [MarketSymbol])]
        do {
            if let list, let version {
                stored = (list, version, now())
            } else {
                let state = try await store.state()
                stored = (try await store.active(), state.version, state.lastRefresh ?? now())
            }
            if let cached, cached.version < stored.version {
                missed = try await store.changes(after: cached.version)
            } else if cached == nil, newChange {
                missed = try await store.changes(after: stored.version - 1)
            } else {
                missed = []
            }
        } catch {
            throw SymbolsError(.database, "reading the stored list: \(error)")
        }
        let document = SymbolCache.Document(
            version: stored.version, refreshedAt: Self.iso(stored.refreshedAt),
            futures: stored.list.filter { $0.market == .futures }, spot: stored.list.filter { $0.market == .spot })
        let messages = missed.filter { $0.version <= stored.version }.map {
            SymbolCache.ChangeMessage(version: $0.version, changedAt: Self.iso($0.changedAt), added: $0.added, removed: $0.removed)
        }
        do {
            try await cache.write(document, publishing: messages)
        } catch {
            throw SymbolsError(.redis, "writing \(cache.key): \(error)")
        }
        return messages.count
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
