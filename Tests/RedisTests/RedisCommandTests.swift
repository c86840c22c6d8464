import Redis
import TestSupport
import Testing

@Suite struct RedisCommandTests {
    @Test func binaryValuesRoundTripUnchanged() async throws {
        let prefix = TestEnvironment.uniqueName("binary")
        try await withClient { redis in
            let nasty: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0xFE, 0x80, 0x00, 0x24, 0x2A, 0x0D, 0x0A, 0xC3]
            var large = [UInt8](repeating: 0, count: 1 << 20)
            for index in large.indices { large[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
            let unicode = "Ñandú 🚀 价格 \u{0}end"
            let binaryKey: [UInt8] = Array("\(prefix):key\r\n\u{0}".utf8)

            try await redis.set("\(prefix):nasty", to: nasty)
            try await redis.set("\(prefix):large", to: large)
            try await redis.set("\(prefix):unicode", to: unicode)
            try await redis.set("\(prefix):empty", to: "")
            try await redis.send("SET", binaryKey, nasty)

            #expect(try await redis.getBytes("\(prefix):nasty") == nasty)
            #expect(try await redis.getBytes("\(prefix):large") == large)
            #expect(try await redis.get("\(prefix):unicode") == unicode)
            #expect(try await redis.getBytes("\(prefix):empty") == [])
            #expect(try await redis.send("GET", binaryKey).bytes == nasty)
            #expect(try await redis.send("STRLEN", "\(prefix):large").int == 1 << 20)
            #expect(try await redis.get("\(prefix):missing") == nil)
        }
    }

    @Test func pipelineRepliesComeBackInOrderWithPerCommandErrors() async throws {
        let prefix = TestEnvironment.uniqueName("pipeline")
        try await withClient { redis in
            let replies = try await redis.pipeline([
                ["SET", "\(prefix):a", "1"],
                ["INCR", "\(prefix):a"],
                ["LPUSH", "\(prefix):a", "x"],  // WRONGTYPE in the middle
                ["INCRBY", "\(prefix):a", 40],
                ["GET", "\(prefix):a"],
                ["NOSUCHCOMMAND"],
                ["GET", "\(prefix):none"],
            ])
            #expect(replies.count == 7)
            #expect(replies[0] == .status("OK"))
            #expect(replies[1] == .integer(2))
            #expect(replies[2].errorMessage?.hasPrefix("WRONGTYPE") == true)
            #expect(throws: RedisError.self) { try replies[2].checked() }
            #expect(replies[3] == .integer(42))
            #expect(replies[4].string == "42")
            #expect(replies[5].errorMessage?.contains("unknown command") == true)
            #expect(replies[6] == .null)
            // The connection is still in sync after the errors.
            #expect(try await redis.get("\(prefix):a") == "42")
        }
    }

    @Test func serverErrorsCarryCodeAndMessage() async throws {
        let prefix = TestEnvironment.uniqueName("wrongtype")
        try await withClient { redis in
            try await redis.rpush("\(prefix):list", values: ["a"])
            let error = await redisError { _ = try await redis.get("\(prefix):list") }
            #expect(error?.code == .server)
            #expect(error?.serverErrorPrefix == "WRONGTYPE")
            #expect(error?.command == "GET")
            #expect(error?.serverMessage?.contains("wrong kind of value") == true)
            #expect(error?.description.contains("WRONGTYPE") == true)
            // A server error does not break the connection.
            #expect(try await redis.ping() == "PONG")
        }
    }

    @Test func selectedDatabaseIsIsolated() async throws {
        let key = TestEnvironment.uniqueName("select")
        let url = try TestEnvironment.redisURL()
        var db2 = try RedisConfiguration(url: url)
        db2.database = 2
        var db0 = db2
        db0.database = 0
        let client2 = RedisClient(configuration: db2)
        let client0 = RedisClient(configuration: db0)
        try await client2.set(key, to: "in db 2")
        #expect(try await client2.get(key) == "in db 2")
        #expect(try await client0.get(key) == nil)
        #expect(try await client0.exists(key) == 0)
        try await client2.delete(key)
        await client2.close()
        await client0.close()
    }

    @Test func keyHashAndListHelpers() async throws {
        let prefix = TestEnvironment.uniqueName("helpers")
        try await withClient { redis in
            #expect(try await redis.set("\(prefix):k", to: "v", expiry: .seconds(10_000)))
            #expect(try await redis.set("\(prefix):k", to: "w", onlyIfAbsent: true) == false)
            #expect(try await redis.get("\(prefix):k") == "v")
            guard case .expires(let ttl) = try await redis.pttl("\(prefix):k") else {
                Issue.record("expected an expiry")
                return
            }
            // Wide enough for a stalled machine, narrow enough to catch a unit mix-up (ms for s).
            #expect(ttl > .seconds(1_000) && ttl <= .seconds(10_000))
            try await redis.set("\(prefix):p", to: 1, expiry: .milliseconds(60_000))
            #expect(try await redis.pexpire("\(prefix):p", after: .seconds(600)))
            #expect(try await redis.expire("\(prefix):gone", seconds: 5) == false)
            try await redis.set("\(prefix):forever", to: "x")
            #expect(try await redis.pttl("\(prefix):forever") == .persistent)
            #expect(try await redis.pttl("\(prefix):gone") == .missingKey)
            #expect(try await redis.exists("\(prefix):k", "\(prefix):p", "\(prefix):gone") == 2)
            #expect(try await redis.delete("\(prefix):k", "\(prefix):p", "\(prefix):gone") == 2)

            #expect(try await redis.hset("\(prefix):h", fields: [("open", "1.5"), ("close", "2.5"), ("symbol", "BTCUSDT")]) == 3)
            #expect(try await redis.hget("\(prefix):h", field: "close") == "2.5")
            #expect(try await redis.hget("\(prefix):h", field: "nope") == nil)
            #expect(try await redis.hdel("\(prefix):h", fields: ["open", "nope"]) == 1)
            #expect(try await redis.hgetall("\(prefix):h") == ["close": "2.5", "symbol": "BTCUSDT"])
            #expect(try await redis.hgetall("\(prefix):none") == [:])

            #expect(try await redis.rpush("\(prefix):l", values: ["b", "c"]) == 2)
            #expect(try await redis.lpush("\(prefix):l", values: ["a"]) == 3)
            #expect(try await redis.lrange("\(prefix):l", start: 0, stop: -1) == ["a", "b", "c"])
            try await redis.ltrim("\(prefix):l", start: 0, stop: 1)
            #expect(try await redis.llen("\(prefix):l") == 2)
            #expect(try await redis.lrange("\(prefix):l", start: 0, stop: -1) == ["a", "b"])

            let popped = try await redis.blpop(["\(prefix):empty", "\(prefix):l"], timeout: .seconds(1))
            #expect(popped?.key == "\(prefix):l")
            #expect(popped?.value == "a")
            #expect(try await redis.blpop(["\(prefix):empty"], timeout: .milliseconds(100)) == nil)
        }
    }

    @Test func aSlowReplyTimesOutAndTheNextCommandWorks() async throws {
        let prefix = TestEnvironment.uniqueName("timeout")
        try await withClient({ $0.commandTimeout = .milliseconds(300); $0.poolSize = 1 }) { redis async throws in
            let clock = ContinuousClock()
            let started = clock.now
            // BLPOP blocks 300 s on the server, far longer than the 300 ms command timeout; the
            // client gives up long before (generous bound: the machine may be loaded).
            let error = await redisError { try await redis.send("BLPOP", "\(prefix):empty", 300) }
            #expect(error?.code == .timeout)
            #expect(started.duration(to: clock.now) < .seconds(150))
            #expect(try await redis.ping() == "PONG")
        }
    }

    @Test func poolServesMoreConcurrentCallersThanConnections() async throws {
        let prefix = TestEnvironment.uniqueName("pool")
        try await withClient({ $0.poolSize = 2 }) { redis in
            let connectionIDs = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await redis.set("\(prefix):\(index)", to: index)
                        return try await redis.send("CLIENT", "ID").int ?? -1
                    }
                }
                return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
            }
            #expect(connectionIDs.count <= 2)
            #expect(!connectionIDs.contains(-1))
            for index in [0, 17, 49] { #expect(try await redis.get("\(prefix):\(index)") == "\(index)") }
        }
    }

    @Test func waitingForABusyPoolCanBeCancelled() async throws {
        let prefix = TestEnvironment.uniqueName("poolwait")
        try await withClient({ $0.poolSize = 1 }) { redis async throws in
            let holder = Task { try await redis.blpop(["\(prefix):never"], timeout: .seconds(300)) }
            try await Task.sleep(for: .milliseconds(200))
            let clock = ContinuousClock()
            let started = clock.now
            let waiter = Task { try await redis.ping() }
            try await Task.sleep(for: .milliseconds(200))
            waiter.cancel()
            let waited = await waiter.result
            #expect((waited.error as? RedisError)?.code == .cancelled)
            // Far less than the 300 s the pool stays busy (a bound, not a timing).
            #expect(started.duration(to: clock.now) < .seconds(150))
            // Releasing the pool's only connection lets the next caller in.
            holder.cancel()
            _ = await holder.result
            #expect(try await redis.ping() == "PONG")
        }
    }

    @Test func closedClientRefusesCommands() async throws {
        let redis = try makeClient()
        try await redis.ping()
        await redis.close()
        let error = await redisError { try await redis.ping() }
        #expect(error?.code == .clientClosed)
    }
}
