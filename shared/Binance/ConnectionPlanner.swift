import Core

/// Plans which streams go on which connection, changing as little as possible: a stream
/// already subscribed never moves, removed streams are unsubscribed where they are, and new
/// streams fill free room on existing connections (lowest id first, so they land in as few
/// SUBSCRIBE messages as possible) before new connections of up to `streamsPerConnection`
/// streams are opened. Pure and deterministic: equal inputs give equal plans.
public struct ConnectionPlanner: Sendable, Hashable {
    public var limits: ConnectionLimits

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// - Parameters:
    ///   - desired: every stream that should be subscribed on this market.
    ///   - current: what each open connection holds now. A stream held by two connections
    ///     stays on the lower id and is unsubscribed from the other.
    ///   - nextConnectionID: the id of the first new connection; later ones count up.
    public func plan(
        desired: Set<StreamName>, current: [ConnectionID: Set<StreamName>], nextConnectionID: ConnectionID
    ) -> ConnectionPlan {
        var plan = ConnectionPlan()
        var placed: Set<StreamName> = []
        var kept: [(connection: ConnectionID, count: Int)] = []
        for connection in current.keys.sorted() {
            let streams = current[connection] ?? []
            var keep = 0
            var remove: [StreamName] = []
            for stream in streams.sorted() {
                if desired.contains(stream) && placed.insert(stream).inserted {
                    keep += 1
                } else {
                    remove.append(stream)
                }
            }
            if !remove.isEmpty { plan.unsubscribe[connection] = remove }
            kept.append((connection, keep))
        }

        var missing = desired.subtracting(placed).sorted()[...]
        for (connection, count) in kept where !missing.isEmpty {
            let room = limits.streamsPerConnection - count
            guard room > 0 else { continue }
            let added = missing.prefix(room)
            missing = missing.dropFirst(added.count)
            plan.subscribe[connection] = Array(added)
        }
        var id = nextConnectionID
        while !missing.isEmpty {
            let streams = missing.prefix(limits.streamsPerConnection)
            missing = missing.dropFirst(streams.count)
            plan.open.append(ConnectionPlan.Open(connection: id, streams: Array(streams)))
            id = ConnectionID(id.rawValue + 1)
        }

        // A connection left empty is closed rather than emptied message by message.
        for (connection, count) in kept where count == 0 && plan.subscribe[connection] == nil && !(current[connection] ?? []).isEmpty {
            plan.unsubscribe[connection] = nil
            plan.close.append(connection)
        }
        return plan
    }

    /// Plans every market with its own limits; new connection ids count up across markets
    /// (spot first, then futures) from `nextConnectionID`.
    public static func plan(
        desired: [Market: Set<StreamName>], current: [Market: [ConnectionID: Set<StreamName>]],
        limits: [Market: ConnectionLimits] = [:], nextConnectionID: ConnectionID
    ) -> [Market: ConnectionPlan] {
        var plans: [Market: ConnectionPlan] = [:]
        var next = nextConnectionID
        for market in Market.allCases {
            let planner = ConnectionPlanner(limits: limits[market] ?? .defaults(for: market))
            let plan = planner.plan(desired: desired[market] ?? [], current: current[market] ?? [:], nextConnectionID: next)
            next = ConnectionID(next.rawValue + plan.open.count)
            plans[market] = plan
        }
        return plans
    }
}
