/// How a signal ended.
///
/// `resolvedAt` is the close time (Unix ms) of the candle in which it ended: the moment the
/// outcome is known from 1m data. `returnR` is the result in multiples of the signal's risk,
/// positive when price moved the signal's way (−1 at the stop, +2 at a 2R target).
public struct Outcome: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// The winning target was reached before the stop.
        case won
        /// The stop was reached (or gapped through) first.
        case lost
        /// Neither before the expiry; closed at the expiry candle's close.
        case expired
    }

    public var status: Status
    public var resolvedAt: Int64
    public var exitPrice: Double
    public var returnR: Double

    public init(status: Status, resolvedAt: Int64, exitPrice: Double, returnR: Double) {
        self.status = status
        self.resolvedAt = resolvedAt
        self.exitPrice = exitPrice
        self.returnR = returnR
    }

    private enum CodingKeys: String, CodingKey {
        case status
        case resolvedAt = "resolved_at"
        case exitPrice = "exit_price"
        case returnR = "return_r"
    }
}

/// A signal together with how it ended.
public struct ResolvedSignal: Sendable, Hashable, Codable {
    public var signal: Signal
    public var outcome: Outcome

    public init(signal: Signal, outcome: Outcome) {
        self.signal = signal
        self.outcome = outcome
    }
}
