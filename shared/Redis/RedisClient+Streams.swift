/// One stream entry: its stream key, id (`1700000000000-0`) and fields in stored order.
/// Field names and values are decoded as UTF-8 (lossy).
public struct RedisStreamEntry: Sendable {
    public var stream: String
    public var id: String
    public var fields: [(name: String, value: String)]

    public init(stream: String, id: String, fields: [(name: String, value: String)]) {
        self.stream = stream
        self.id = id
        self.fields = fields
    }

    /// The value of the first field called `name`.
    public subscript(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}

/// `XPENDING key group`: the group's pending entries list in brief.
public struct RedisPendingSummary: Sendable, Hashable {
    /// Entries delivered but not yet acknowledged.
    public var count: Int
    public var smallestID: String?
    public var largestID: String?
    /// Pending count per consumer name.
    public var consumers: [String: Int]
}

/// One entry of `XPENDING key group [IDLE ms] start end count [consumer]`.
public struct RedisPendingEntry: Sendable, Hashable {
    public var id: String
    /// The consumer that holds it.
    public var consumer: String
    /// Time since it was last delivered.
    public var idle: Duration
    /// How many times it has been delivered.
    public var deliveryCount: Int
}

/// What `XAUTOCLAIM` returns.
public struct RedisAutoClaimResult: Sendable {
    /// Pass as `start` to continue the scan; `0-0` when the scan is complete.
    public var nextCursor: String
    /// The entries now owned by the claiming consumer.
    public var entries: [RedisStreamEntry]
    /// Pending ids whose entries no longer exist (trimmed); Redis drops them from the PEL.
    public var deletedIDs: [String]
}

extension RedisClient {
    /// `XADD key [MAXLEN ~ n] id field value …`; returns the new entry's id.
    /// - Parameters:
    ///   - maxLength: cap the stream near this length (`MAXLEN ~`, cheap, may keep a few more).
    ///   - id: `*` lets the server choose.
    @discardableResult
    public func xadd(_ key: String, fields: [(String, String)], maxLength: Int? = nil, id: String = "*") async throws -> String {
        precondition(!fields.isEmpty, "XADD needs at least one field")
        let reply = try await send(arguments: RedisArgument.xadd(key, maxLength: maxLength, id: id, fields: fields))
        guard case .bulk = reply, let newID = reply.string else {
            throw RedisError.unexpected(reply, expected: "an entry id", command: "XADD")
        }
        return newID
    }

    /// `XGROUP CREATE key group id MKSTREAM`: creates the group (and the stream).
    /// - Parameter startID: `$` delivers only new entries, `0` the whole stream.
    /// - Returns: `false` when the group already existed (`BUSYGROUP`), which is not an error.
    @discardableResult
    public func xgroupCreate(_ key: String, group: String, startID: String = "$") async throws -> Bool {
        do {
            try await send(arguments: ["XGROUP", "CREATE", RedisArgument(key), RedisArgument(group), RedisArgument(startID), "MKSTREAM"])
            return true
        } catch let error as RedisError where error.serverErrorPrefix == "BUSYGROUP" {
            return false
        }
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] STREAMS key… id…`.
    ///
    /// - Parameters:
    ///   - id: `>` for new entries, `0` to re-read this consumer's own pending ones.
    ///   - block: wait up to this long for entries (`nil` does not block). Use a dedicated
    ///     client for long blocks; cancelling the task interrupts the wait.
    /// - Returns: the entries of all streams, stream by stream; empty on timeout. Entries
    ///   deleted since delivery come back with no fields.
    public func xreadgroup(
        group: String,
        consumer: String,
        streams: [String],
        id: String = ">",
        count: Int? = nil,
        block: Duration? = nil
    ) async throws -> [RedisStreamEntry] {
        precondition(!streams.isEmpty, "XREADGROUP needs at least one stream")
        var arguments: [RedisArgument] = ["XREADGROUP", "GROUP", RedisArgument(group), RedisArgument(consumer)]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        if let block { arguments += ["BLOCK", RedisArgument(block.milliseconds)] }
        arguments.append("STREAMS")
        arguments += streams.map(RedisArgument.init)
        arguments += Array(repeating: RedisArgument(id), count: streams.count)
        let reply = try await send(arguments: arguments, timeout: block)
        return try Self.streamsReply(reply, command: "XREADGROUP")
    }

    /// `XREAD [COUNT n] [BLOCK ms] STREAMS key… id…` (no group). `after` pairs each stream
    /// with the id to read after (`$` for only new entries).
    public func xread(after streams: [(stream: String, id: String)], count: Int? = nil, block: Duration? = nil) async throws -> [RedisStreamEntry] {
        precondition(!streams.isEmpty, "XREAD needs at least one stream")
        var arguments: [RedisArgument] = ["XREAD"]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        if let block { arguments += ["BLOCK", RedisArgument(block.milliseconds)] }
        arguments.append("STREAMS")
        arguments += streams.map { RedisArgument($0.stream) }
        arguments += streams.map { RedisArgument($0.id) }
        let reply = try await send(arguments: arguments, timeout: block)
        return try Self.streamsReply(reply, command: "XREAD")
    }

    /// `XACK key group id…`; returns how many entries were acknowledged.
    @discardableResult
    public func xack(_ key: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await integer(["XACK", RedisArgument(key), RedisArgument(group)] + ids.map(RedisArgument.init))
    }

    /// `XPENDING key group`.
    public func xpending(_ key: String, group: String) async throws -> RedisPendingSummary {
        let reply = try await send(arguments: ["XPENDING", RedisArgument(key), RedisArgument(group)])
        guard let parts = reply.array, parts.count == 4, let count = parts[0].int else {
            throw RedisError.unexpected(reply, expected: "a pending summary", command: "XPENDING")
        }
        var consumers: [String: Int] = [:]
        for pair in parts[3].array ?? [] {
            guard let pair = pair.array, pair.count == 2, let name = pair[0].string, let pending = pair[1].int else {
                throw RedisError.unexpected(reply, expected: "consumer counts", command: "XPENDING")
            }
            consumers[name] = pending
        }
        return RedisPendingSummary(count: count, smallestID: parts[1].string, largestID: parts[2].string, consumers: consumers)
    }

    /// `XPENDING key group [IDLE ms] start end count [consumer]`: pending entries in detail.
    public func xpending(
        _ key: String,
        group: String,
        start: String = "-",
        end: String = "+",
        count: Int,
        consumer: String? = nil,
        minIdle: Duration? = nil
    ) async throws -> [RedisPendingEntry] {
        var arguments: [RedisArgument] = ["XPENDING", RedisArgument(key), RedisArgument(group)]
        if let minIdle { arguments += ["IDLE", RedisArgument(minIdle.milliseconds)] }
        arguments += [RedisArgument(start), RedisArgument(end), RedisArgument(count)]
        if let consumer { arguments.append(RedisArgument(consumer)) }
        let reply = try await send(arguments: arguments)
        guard let rows = reply.array else { throw RedisError.unexpected(reply, expected: "an array", command: "XPENDING") }
        return try rows.map { row in
            guard let fields = row.array, fields.count == 4, let id = fields[0].string, let owner = fields[1].string,
                let idle = fields[2].int, let deliveries = fields[3].int
            else { throw RedisError.unexpected(row, expected: "a pending entry", command: "XPENDING") }
            return RedisPendingEntry(id: id, consumer: owner, idle: .milliseconds(idle), deliveryCount: deliveries)
        }
    }

    /// `XAUTOCLAIM key group consumer min-idle start [COUNT n]`: takes over entries that
    /// other consumers left pending for at least `minIdle` (a crashed consumer's work).
    public func xautoclaim(
        _ key: String,
        group: String,
        consumer: String,
        minIdle: Duration,
        start: String = "0-0",
        count: Int? = nil
    ) async throws -> RedisAutoClaimResult {
        var arguments: [RedisArgument] = [
            "XAUTOCLAIM", RedisArgument(key), RedisArgument(group), RedisArgument(consumer),
            RedisArgument(minIdle.milliseconds), RedisArgument(start),
        ]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        let reply = try await send(arguments: arguments)
        guard let parts = reply.array, parts.count >= 2, let cursor = parts[0].string else {
            throw RedisError.unexpected(reply, expected: "a cursor and entries", command: "XAUTOCLAIM")
        }
        let entries = try Self.entries(parts[1], stream: key, command: "XAUTOCLAIM")
        let deleted = parts.count > 2 ? (parts[2].array ?? []).compactMap(\.string) : []
        return RedisAutoClaimResult(nextCursor: cursor, entries: entries, deletedIDs: deleted)
    }

    /// `XLEN key`.
    public func xlen(_ key: String) async throws -> Int {
        try await integer(["XLEN", RedisArgument(key)])
    }

    /// `XRANGE key start end [COUNT n]` (`-` and `+` for the ends of the stream).
    public func xrange(_ key: String, start: String = "-", end: String = "+", count: Int? = nil) async throws -> [RedisStreamEntry] {
        var arguments: [RedisArgument] = ["XRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(end)]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        return try Self.entries(try await send(arguments: arguments), stream: key, command: "XRANGE")
    }

    // MARK: Decoding

    /// `[[stream, [[id, [field, value…]]…]]…]` or null.
    static func streamsReply(_ reply: RedisValue, command: String) throws -> [RedisStreamEntry] {
        if reply.isNull { return [] }
        guard let streams = reply.array else { throw RedisError.unexpected(reply, expected: "an array of streams", command: command) }
        var result: [RedisStreamEntry] = []
        for stream in streams {
            guard let pair = stream.array, pair.count == 2, let name = pair[0].string else {
                throw RedisError.unexpected(stream, expected: "a stream and its entries", command: command)
            }
            result += try entries(pair[1], stream: name, command: command)
        }
        return result
    }

    static func entries(_ reply: RedisValue, stream: String, command: String) throws -> [RedisStreamEntry] {
        guard let items = reply.array else { throw RedisError.unexpected(reply, expected: "an array of entries", command: command) }
        return try items.map { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string else {
                throw RedisError.unexpected(item, expected: "an entry", command: command)
            }
            let flat = pair[1].array ?? []
            var fields: [(name: String, value: String)] = []
            fields.reserveCapacity(flat.count / 2)
            for index in stride(from: 0, to: flat.count - 1, by: 2) {
                fields.append((flat[index].string ?? "", flat[index + 1].string ?? ""))
            }
            return RedisStreamEntry(stream: stream, id: id, fields: fields)
        }
    }
}

/// One consumer group of a stream, from `XINFO GROUPS`.
public struct RedisGroupInfo: Sendable, Hashable {
    public var name: String
    public var consumers: Int
    /// Entries delivered to the group's consumers and not yet acknowledged.
    public var pending: Int
    /// The id of the last entry delivered to the group.
    public var lastDeliveredID: String
    /// Entries in the stream not yet delivered to the group (Redis 7+; nil when Redis cannot
    /// tell, e.g. after entries were deleted from the middle of the stream).
    public var lag: Int?
}

/// One consumer of a group, from `XINFO CONSUMERS`.
public struct RedisConsumerInfo: Sendable, Hashable {
    public var name: String
    public var pending: Int
    /// Time since the consumer last read or claimed.
    public var idle: Duration
}

extension RedisClient {
    /// `XINFO GROUPS key`: the stream's consumer groups (empty when the stream does not exist).
    public func xinfoGroups(_ key: String) async throws -> [RedisGroupInfo] {
        let reply: RedisValue
        do {
            reply = try await send(arguments: ["XINFO", "GROUPS", RedisArgument(key)])
        } catch let error as RedisError where error.serverErrorPrefix == "ERR" && "\(error)".contains("no such key") {
            return []
        }
        guard let groups = reply.array else { throw RedisError.unexpected(reply, expected: "an array of groups", command: "XINFO") }
        return try groups.map { group in
            let map = Self.flatMap(group)
            guard let name = map["name"]?.string, let consumers = map["consumers"]?.int, let pending = map["pending"]?.int,
                  let last = map["last-delivered-id"]?.string
            else { throw RedisError.unexpected(group, expected: "a group", command: "XINFO") }
            return RedisGroupInfo(name: name, consumers: consumers, pending: pending, lastDeliveredID: last, lag: map["lag"]?.int)
        }
    }

    /// `XINFO CONSUMERS key group`.
    public func xinfoConsumers(_ key: String, group: String) async throws -> [RedisConsumerInfo] {
        let reply = try await send(arguments: ["XINFO", "CONSUMERS", RedisArgument(key), RedisArgument(group)])
        guard let consumers = reply.array else { throw RedisError.unexpected(reply, expected: "an array of consumers", command: "XINFO") }
        return try consumers.map { consumer in
            let map = Self.flatMap(consumer)
            guard let name = map["name"]?.string, let pending = map["pending"]?.int, let idle = map["idle"]?.int else {
                throw RedisError.unexpected(consumer, expected: "a consumer", command: "XINFO")
            }
            return RedisConsumerInfo(name: name, pending: pending, idle: .milliseconds(idle))
        }
    }

    /// `XGROUP DELCONSUMER key group consumer`; returns the pending entries it still had.
    @discardableResult
    public func xgroupDeleteConsumer(_ key: String, group: String, consumer: String) async throws -> Int {
        try await integer(["XGROUP", "DELCONSUMER", RedisArgument(key), RedisArgument(group), RedisArgument(consumer)])
    }

    /// `XTRIM key MINID ~ id`: removes entries older than `id`; returns how many.
    @discardableResult
    public func xtrim(_ key: String, minID: String) async throws -> Int {
        try await integer(["XTRIM", RedisArgument(key), "MINID", "~", RedisArgument(minID)])
    }

    /// `XTRIM key MAXLEN ~ n`; returns how many entries were removed.
    @discardableResult
    public func xtrim(_ key: String, maxLength: Int) async throws -> Int {
        try await integer(["XTRIM", RedisArgument(key), "MAXLEN", "~", RedisArgument(maxLength)])
    }

    /// A RESP2 flat `[name, value, …]` reply as a dictionary.
    static func flatMap(_ reply: RedisValue) -> [String: RedisValue] {
        let flat = reply.array ?? []
        var map: [String: RedisValue] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            if let name = flat[index].string { map[name] = flat[index + 1] }
        }
        return map
    }
}
