import Core
import Foundation
import REST
import ServiceRuntime

extension SymbolRefresher {
    /// The refresher a service process runs, from its configuration and stores.
    public init(context: ServiceContext, now: @escaping @Sendable () -> Date = { Date() }) {
        let config = context.config
        let client = context.binanceClient()
        self.init(
            source: BinanceSymbolsSource(client: client, spotURL: config.binance.spotRESTURL, futuresURL: config.binance.futuresRESTURL),
            store: SymbolStore(postgres: context.postgres),
            cache: SymbolCache(redis: context.redis, prefix: config.redis.prefix),
            eligibility: Eligibility(excludedBases: config.symbols.excludedBases),
            counts: [.futures: config.symbols.futures, .spot: config.symbols.spot],
            logger: context.logger, now: now)
    }
}
