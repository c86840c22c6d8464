/// The latency of the most recent analyses (queue wait + compute, ms), for the heartbeat's
/// `latency_p50_ms` and `latency_p99_ms`: a ring of the last `capacity` samples, so memory is
/// bounded and the figures follow the current load.
public struct LatencyWindow: Sendable, Equatable {
    public let capacity: Int
    private var samples: [Double] = []
    private var next = 0

    public init(capacity: Int = 1024) {
        precondition(capacity > 0, "a latency window holds at least one sample")
        self.capacity = capacity
    }

    public mutating func record(_ milliseconds: Double) {
        guard milliseconds.isFinite else { return }
        if samples.count < capacity {
            samples.append(milliseconds)
        } else {
            samples[next] = milliseconds
        }
        next = (next + 1) % capacity
    }

    /// The `quantile` (0…1) of the samples held, nearest rank; nil before any.
    public func quantile(_ quantile: Double) -> Double? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(0, rank), sorted.count - 1)]
    }
}
