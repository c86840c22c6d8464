import Redis
import TestSupport
import Synchronization
import Testing

@Suite struct RedisPubSubTests {
    @Test func subscriberReceivesMessagesInOrder() async throws {
        let channel = TestEnvironment.uniqueName("pubsub") + ":signals"
        try await withClient { redis in
            let subscriber = try await redis.subscribe(to: [channel], patterns: [channel + ":p*"])
            let payloads = (0..<20).map { "message \($0)" }
            for payload in payloads { #expect(try await redis.publish(payload, to: channel) == 1) }
            try await redis.publish([0x00, 0xFF, 0x0D, 0x0A] as [UInt8], to: channel)
            try await redis.publish("by pattern", to: channel + ":px")

            // A message lost would leave the loop waiting forever: closing ends its wait.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                await subscriber.close()
            }
            defer { watchdog.cancel() }
            var received: [RedisMessage] = []
            for try await message in subscriber {
                received.append(message)
                if received.count == payloads.count + 2 { break }
            }
            try #require(received.count == payloads.count + 2)
            #expect(received.prefix(payloads.count).map(\.string) == payloads)
            #expect(received.allSatisfy { $0.channel.hasPrefix(channel) })
            #expect(received[payloads.count].payload == [0x00, 0xFF, 0x0D, 0x0A])
            #expect(received[payloads.count + 1].pattern == channel + ":p*")
            #expect(received[payloads.count + 1].channel == channel + ":px")
            await subscriber.close()
            // The server drops the subscription once it has processed the close.
            #expect(await waitUntil(timeout: .seconds(60)) { (try? await redis.publish("nobody", to: channel)) == 0 })
        }
    }

    @Test func cancellingTheIteratingTaskEndsTheSequence() async throws {
        let channel = TestEnvironment.uniqueName("pubsubcancel")
        try await withClient { redis in
            let subscriber = try await redis.subscribe(to: [channel])
            let ended = Atomic(false)
            let listener = Task {
                var count = 0
                for try await _ in subscriber { count += 1 }
                ended.store(true, ordering: .sequentiallyConsistent)
                return count
            }
            try await Task.sleep(for: .milliseconds(200))
            listener.cancel()
            // No message ever arrives: only cancellation can end the loop.
            #expect(await waitUntil(timeout: .seconds(60)) { ended.load(ordering: .sequentiallyConsistent) })
            #expect(try await listener.value == 0)
            // Cancellation dropped the subscriber's connection: nobody listens any more.
            #expect(await waitUntil(timeout: .seconds(60)) { (try? await redis.publish("x", to: channel)) == 0 })
        }
    }

    /// A task cancelled before its first wait ends the subscription too (a loaded machine may
    /// not schedule the listener before its cancellation).
    @Test func cancellingBeforeTheFirstMessageIsAwaitedEndsTheSubscription() async throws {
        let channel = TestEnvironment.uniqueName("pubsubearly")
        try await withClient { redis in
            let subscriber = try await redis.subscribe(to: [channel])
            #expect(try await redis.publish("x", to: channel) == 1)
            let listener = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                var count = 0
                for try await _ in subscriber { count += 1 }
                return count
            }
            #expect(try await listener.value == 0)
            #expect(await waitUntil(timeout: .seconds(60)) { (try? await redis.publish("x", to: channel)) == 0 })
        }
    }
}
