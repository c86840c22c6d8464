@testable import Inference
import Testing

/// The heartbeat's latency figures: nearest-rank quantiles over the latest samples only.
@Suite struct LatencyWindowTests {
    @Test func quantilesOfTheLatestSamples() {
        var window = LatencyWindow(capacity: 100)
        #expect(window.quantile(0.5) == nil)
        for value in 1...100 { window.record(Double(value)) }
        #expect(window.quantile(0.5) == 50 && window.quantile(0.99) == 99 && window.quantile(1) == 100)
        // The next 100 replace the first: only the latest load counts.
        for value in 1...100 { window.record(Double(1000 + value)) }
        #expect(window.quantile(0.5) == 1050 && window.quantile(0) == 1001)
        window.record(.nan)
        #expect(window.quantile(1) == 1100)
    }
}
