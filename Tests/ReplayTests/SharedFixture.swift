import Replay
import TestSupport

/// The real futures fixture, loaded once for every suite (see `SharedValue`).
enum SharedFixture {
    private static let loaded = SharedValue("fixture.futures") {
        try MarketData.load(market: .futures, directories: [Fixtures.futuresKlines])
    }

    /// The month of futures klines, as the replay server loads them.
    static func futures() async throws -> MarketData { try await loaded.get() }
}
