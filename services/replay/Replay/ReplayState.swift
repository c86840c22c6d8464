import Logging

/// Everything the replay server's handlers share: the clock, each market's data, the limits and
/// the fault controls.
public final class ReplayState: Sendable {
    public let clock: ReplayClock
    public let spot: MarketData?
    public let futures: MarketData?
    public let options: ReplayOptions
    public let logger: Logger

    public init(clock: ReplayClock, spot: MarketData?, futures: MarketData?, options: ReplayOptions, logger: Logger) {
        self.clock = clock
        self.spot = spot
        self.futures = futures
        self.options = options
        self.logger = logger
    }

    public func data(_ market: ReplayMarket) -> MarketData? {
        switch market {
        case .spot: spot
        case .futures: futures
        }
    }
}
