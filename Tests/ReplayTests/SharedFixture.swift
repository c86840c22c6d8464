import Replay
import TestSupport

/// The real futures fixture loaded once for every suite: a debug-build load is CPU-heavy, and
/// repeating it per suite starves the other tests that run in parallel.
enum SharedFixture {
    static let futures: Result<MarketData, any Error> = Result {
        try MarketData.load(market: .futures, directories: [Fixtures.futuresKlines])
    }
}
