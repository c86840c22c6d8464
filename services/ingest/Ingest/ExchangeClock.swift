/// Binance's clock on one market, from the event times (`E`) of its frames, so a replay
/// running in the past backfills correctly. A pure state machine: times are passed in.
///
/// One bogus frame must not move "now": an event time more than `tolerance` ahead of what the
/// clock predicts (its last event time plus the local time elapsed since) is not taken. Only
/// when `confirmations` frames in a row agree on a new time (ahead of or far behind the clock,
/// consistent with each other) does the clock move there: a real jump (a replay skipping
/// ahead, or a first frame that was the bogus one) is followed, a single stray frame is not.
struct ExchangeClock: Sendable {
    var tolerance: Int64 = 600_000
    var confirmations = 20
    /// The newest accepted event time and the local time it was seen at.
    private(set) var anchor: (event: Int64, local: Int64)?
    private var candidate: (event: Int64, local: Int64, count: Int)?

    init(tolerance: Int64 = 600_000, confirmations: Int = 20) {
        self.tolerance = tolerance
        self.confirmations = confirmations
    }

    /// The newest accepted event time.
    var now: Int64? { anchor?.event }

    /// Takes one frame's event time seen at `local` (both Unix ms).
    /// - Returns: false when the time lies implausibly far ahead and was not taken (yet).
    mutating func observe(event: Int64, local: Int64) -> Bool {
        guard let current = anchor else {
            anchor = (event, local)
            return true
        }
        let predicted = current.event + max(0, local - current.local)
        if event <= predicted + tolerance {
            if event >= current.event - tolerance {
                candidate = nil
                if event > current.event { anchor = (event, local) }
            } else {
                // Far behind: an old frame (a lagging connection) is plausible and leaves the
                // clock alone; only a long consistent run of them means the clock was wrong
                // (a bogus first frame) and moves it back.
                _ = confirm(event: event, local: local)
            }
            return true
        }
        // Far ahead: a stray frame, unless a consistent run confirms the jump.
        return confirm(event: event, local: local)
    }

    private mutating func confirm(event: Int64, local: Int64) -> Bool {
        if let pending = candidate {
            let predicted = pending.event + max(0, local - pending.local)
            if abs(event - predicted) <= tolerance {
                let count = pending.count + 1
                if count >= confirmations {
                    anchor = (max(event, pending.event), local)
                    candidate = nil
                    return true
                }
                candidate = (max(event, pending.event), local, count)
                return false
            }
        }
        candidate = (event, local, 1)
        return false
    }
}
