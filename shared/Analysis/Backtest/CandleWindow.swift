import Core

/// The newest `capacity` candles of one timeframe, with cheap appends and a cached array.
///
/// Storage grows to twice the capacity before the old half is dropped in one move, so an
/// append is amortised O(1); `candles` copies the window once per change and is then shared
/// (copy-on-write) by every input that reads it until the next append.
struct CandleWindow: Sendable {
    let capacity: Int
    private var storage: [Candle] = []
    private var start = 0
    private var cached: [Candle]? = []

    init(capacity: Int) {
        precondition(capacity >= 1, "a window holds at least one candle")
        self.capacity = capacity
        storage.reserveCapacity(2 * capacity)
    }

    var isEmpty: Bool { storage.count == start }
    var last: Candle? { isEmpty ? nil : storage[storage.count - 1] }

    mutating func append(_ candle: Candle) {
        storage.append(candle)
        if storage.count - start > capacity { start += 1 }
        if start >= capacity {
            storage.removeFirst(start)
            start = 0
        }
        cached = nil
    }

    /// The window, oldest first.
    mutating func candles() -> [Candle] {
        if let cached { return cached }
        let window = Array(storage[start...])
        cached = window
        return window
    }
}
