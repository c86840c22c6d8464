import Contracts

/// The round-robin cycle over the active symbols, futures and spot together, in the stable
/// order (market, symbol).
///
/// The position is the last symbol enqueued, not an index: the next batch starts with the first
/// active symbol after it in that order. A symbol added before the position waits for the next
/// cycle, one added after it comes in this cycle, and the position itself may have left the
/// list. So a list change neither skips nor repeats a symbol.
public enum RoundRobin {
    public struct Batch: Sendable, Equatable {
        public var symbols: [MarketSymbol]
        /// The position after this batch: its last symbol.
        public var position: MarketSymbol
        /// The batch holds the last symbol of the order: a cycle completed with it.
        public var completesCycle: Bool
    }

    /// The next `size` symbols of `active` (sorted, no duplicates) after `position`, wrapping
    /// at the end; never the same symbol twice in one batch. Nil when `active` is empty.
    public static func batch(active: [MarketSymbol], after position: MarketSymbol?, size: Int) -> Batch? {
        guard !active.isEmpty, size > 0 else { return nil }
        var start = 0
        if let position {
            // First symbol strictly after the position (binary search).
            var low = 0, high = active.count
            while low < high {
                let middle = (low + high) / 2
                if active[middle] <= position { low = middle + 1 } else { high = middle }
            }
            start = low
        }
        let count = min(size, active.count)
        var symbols: [MarketSymbol] = []
        symbols.reserveCapacity(count)
        var completes = false
        for offset in 0..<count {
            let index = (start + offset) % active.count
            if index == active.count - 1 { completes = true }
            symbols.append(active[index])
        }
        return Batch(symbols: symbols, position: symbols[symbols.count - 1], completesCycle: completes)
    }
}
