/// A connection's identity, chosen by the caller (the planner numbers new ones on from a
/// caller-given start).
public struct ConnectionID: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var rawValue: Int

    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public init(integerLiteral value: Int) { rawValue = value }

    public var description: String { "ws\(rawValue)" }
    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The changes that turn the current assignment of streams to connections into the desired
/// one. Stream lists are sorted; connections appear in id order.
public struct ConnectionPlan: Sendable, Hashable {
    /// A connection to open on the bare combined-stream endpoint (`/stream`), then fill
    /// with SUBSCRIBE requests, like any other connection.
    public struct Open: Sendable, Hashable {
        public var connection: ConnectionID
        public var streams: [StreamName]
    }

    /// Streams to UNSUBSCRIBE, by existing connection.
    public var unsubscribe: [ConnectionID: [StreamName]] = [:]
    /// Streams to SUBSCRIBE, by existing connection.
    public var subscribe: [ConnectionID: [StreamName]] = [:]
    /// New connections and their streams.
    public var open: [Open] = []
    /// Existing connections left with no stream: close them (no UNSUBSCRIBE needed).
    public var close: [ConnectionID] = []

    public init() {}

    /// Whether nothing needs to change.
    public var isEmpty: Bool { unsubscribe.isEmpty && subscribe.isEmpty && open.isEmpty && close.isEmpty }

    /// The assignment after the plan is carried out.
    public func applied(to current: [ConnectionID: Set<StreamName>]) -> [ConnectionID: Set<StreamName>] {
        var result = current
        for (connection, streams) in unsubscribe { result[connection, default: []].subtract(streams) }
        for (connection, streams) in subscribe { result[connection, default: []].formUnion(streams) }
        for connection in close { result[connection] = nil }
        for connection in open { result[connection.connection] = Set(connection.streams) }
        return result
    }

    /// The requests to send, per connection, in sending order: UNSUBSCRIBEs first (freeing
    /// room under the stream cap), then SUBSCRIBEs; new connections get their SUBSCRIBEs once
    /// open. Ids are taken from `nextID`, which is advanced. Send each through the
    /// connection's `SlidingWindowLimiter.messagePacer`.
    public func requests(limits: ConnectionLimits, nextID: inout Int) -> [ConnectionID: [SubscriptionRequest]] {
        var result: [ConnectionID: [SubscriptionRequest]] = [:]
        let existing = Set(unsubscribe.keys).union(subscribe.keys).sorted()
        for connection in existing {
            var requests = SubscriptionRequest.batches(.unsubscribe, streams: unsubscribe[connection] ?? [], limits: limits, nextID: &nextID)
            requests += SubscriptionRequest.batches(.subscribe, streams: subscribe[connection] ?? [], limits: limits, nextID: &nextID)
            result[connection] = requests
        }
        for connection in open {
            result[connection.connection] = SubscriptionRequest.batches(.subscribe, streams: connection.streams, limits: limits, nextID: &nextID)
        }
        return result
    }
}
