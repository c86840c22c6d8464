import Redis
import TestSupport
import Testing

@Suite struct RedisStreamTests {
    @Test func xaddWithApproximateMaxLengthCapsTheStream() async throws {
        let stream = TestEnvironment.uniqueName("maxlen") + ":s"
        try await withClient { redis in
            var ids: [String] = []
            for index in 0..<1000 {
                ids.append(try await redis.xadd(stream, fields: [("n", "\(index)")], maxLength: 100))
            }
            #expect(Set(ids).count == 1000)
            let length = try await redis.xlen(stream)
            // `~` trims whole radix-tree nodes, so a few more than 100 may stay; never all.
            #expect(length >= 100 && length < 300)
            let newest = try await redis.xrange(stream, start: "-", end: "+")
            #expect(newest.last?.id == ids.last)
            #expect(newest.last?["n"] == "999")
            #expect(try await redis.xrange(stream, count: 2).count == 2)
        }
    }

    @Test func consumerGroupDeliversAndRecoversACrashedConsumersEntries() async throws {
        let prefix = TestEnvironment.uniqueName("group")
        let stream = "\(prefix):jobs"
        try await withClient { redis in
            #expect(try await redis.xgroupCreate(stream, group: "workers", startID: "0"))
            #expect(try await redis.xgroupCreate(stream, group: "workers", startID: "0") == false)  // BUSYGROUP is fine

            var added: [String] = []
            for index in 0..<5 {
                added.append(try await redis.xadd(stream, fields: [("job", "\(index)"), ("symbol", "BTCUSDT")]))
            }

            // Consumer A takes three entries and "crashes" without XACK.
            let taken = try await redis.xreadgroup(group: "workers", consumer: "a", streams: [stream], count: 3)
            #expect(taken.map(\.id) == Array(added.prefix(3)))
            #expect(taken.map(\.stream) == [stream, stream, stream])
            #expect(taken[0].fields.map(\.name) == ["job", "symbol"])
            #expect(taken[0]["job"] == "0")

            // Consumer B handles the rest normally.
            let rest = try await redis.xreadgroup(group: "workers", consumer: "b", streams: [stream], count: 10)
            #expect(rest.map(\.id) == Array(added.suffix(2)))
            #expect(try await redis.xack(stream, group: "workers", ids: rest.map(\.id)) == 2)

            let summary = try await redis.xpending(stream, group: "workers")
            #expect(summary.count == 3)
            #expect(summary.consumers == ["a": 3])
            #expect(summary.smallestID == added[0])
            #expect(summary.largestID == added[2])

            // Too fresh to claim yet.
            let early = try await redis.xautoclaim(stream, group: "workers", consumer: "b", minIdle: .seconds(60))
            #expect(early.entries.isEmpty)

            try await Task.sleep(for: .milliseconds(150))
            let claimed = try await redis.xautoclaim(stream, group: "workers", consumer: "b", minIdle: .milliseconds(100), count: 10)
            #expect(claimed.entries.map(\.id) == Array(added.prefix(3)))
            #expect(claimed.entries.map { $0["job"] } == ["0", "1", "2"])
            #expect(claimed.nextCursor == "0-0")

            let detail = try await redis.xpending(stream, group: "workers", count: 10)
            #expect(detail.map(\.id) == Array(added.prefix(3)))
            #expect(detail.allSatisfy { $0.consumer == "b" && $0.deliveryCount == 2 })
            let idleFilter = try await redis.xpending(stream, group: "workers", count: 10, consumer: "b", minIdle: .seconds(60))
            #expect(idleFilter.isEmpty)

            #expect(try await redis.xack(stream, group: "workers", ids: claimed.entries.map(\.id)) == 3)
            let after = try await redis.xpending(stream, group: "workers")
            #expect(after.count == 0)
            #expect(after.consumers.isEmpty)
        }
    }

    @Test func blockedReadReturnsEntriesAddedWhileWaiting() async throws {
        let stream = TestEnvironment.uniqueName("blockread") + ":s"
        let redis = try makeClient()
        let consumer = redis.makeDedicatedClient(label: "consumer")
        try await redis.xgroupCreate(stream, group: "g")
        async let delivered = consumer.xreadgroup(group: "g", consumer: "c", streams: [stream], block: .seconds(10))
        // The pool stays usable while the dedicated client blocks.
        try await Task.sleep(for: .milliseconds(200))
        let id = try await redis.xadd(stream, fields: [("k", "v")])
        let entries = try await delivered
        #expect(entries.map(\.id) == [id])
        await consumer.close()
        await redis.close()
    }

    @Test func blockedReadIsInterruptedByCancellation() async throws {
        let stream = TestEnvironment.uniqueName("cancel") + ":s"
        let redis = try makeClient { $0.poolSize = 1 }
        try await redis.xgroupCreate(stream, group: "g")
        let clock = ContinuousClock()
        let started = clock.now
        let reader = Task {
            try await redis.xreadgroup(group: "g", consumer: "c", streams: [stream], block: .seconds(300))
        }
        try await Task.sleep(for: .milliseconds(300))
        reader.cancel()
        let result = await reader.result
        let elapsed = started.duration(to: clock.now)
        // Far less than the 300 s the read blocks for (a bound, not a timing).
        #expect(elapsed < .seconds(150))
        switch result {
        case .success(let entries):
            Issue.record("expected cancellation, got \(entries.count) entries")
        case .failure(let error):
            #expect((error as? RedisError)?.code == .cancelled)
        }
        // The single pooled connection reconnects for the next command.
        #expect(try await redis.ping() == "PONG")
        let id = try await redis.xadd(stream, fields: [("after", "cancel")])
        #expect(try await redis.xreadgroup(group: "g", consumer: "c", streams: [stream]).map(\.id) == [id])
        await redis.close()
    }
}
