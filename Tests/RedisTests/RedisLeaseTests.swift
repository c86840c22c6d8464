import Redis
import TestSupport
import Testing

@Suite struct RedisLeaseTests {
    @Test func leaseHasOneOwnerAtATime() async throws {
        let key = TestEnvironment.uniqueName("lease") + ":lease:scheduler"
        try await withClient { redis in
            // Long TTLs: CI starves the parallel suite for half a minute at times.
            let first = try #require(try await redis.acquireLease(key, ttl: .seconds(300)))
            #expect(first.token.count == 32)
            #expect(try await redis.acquireLease(key, ttl: .seconds(300)) == nil)

            let impostor = RedisLease(key: key, token: "not-the-owner", ttl: .seconds(300))
            #expect(try await redis.releaseLease(impostor) == false)
            #expect(try await redis.renewLease(impostor) == false)
            #expect(try await redis.get(key) == first.token)

            #expect(try await redis.renewLease(first, ttl: .seconds(3_600)))
            guard case .expires(let ttl) = try await redis.pttl(key) else {
                Issue.record("lease lost its expiry")
                return
            }
            #expect(ttl > .seconds(600), "the renewal set the new, longer expiry")

            #expect(try await redis.releaseLease(first))
            #expect(try await redis.get(key) == nil)
            let second = try #require(try await redis.acquireLease(key, ttl: .seconds(30), token: "second"))
            #expect(second.token == "second")
        }
    }

    @Test func expiredLeaseCanBeTakenOver() async throws {
        let key = TestEnvironment.uniqueName("leaseexpiry") + ":lease"
        try await withClient { redis in
            // Long enough that the refusal below cannot race the expiry on a loaded machine (CI
            // starves the parallel suite for half a minute at times); then the lease is made to
            // expire at once rather than waited out.
            let first = try #require(try await redis.acquireLease(key, ttl: .seconds(300)))
            #expect(try await redis.acquireLease(key, ttl: .seconds(10), token: "contender") == nil)
            _ = try await redis.send("PEXPIRE", key, "1")
            let takenOver = await waitUntil(timeout: .seconds(60)) {
                (try? await redis.acquireLease(key, ttl: .seconds(300), token: "successor")) != nil
            }
            #expect(takenOver)
            #expect(try await redis.get(key) == "successor")
            // The old owner can neither renew nor release the successor's lease.
            #expect(try await redis.renewLease(first) == false)
            #expect(try await redis.releaseLease(first) == false)
            #expect(try await redis.get(key) == "successor")
        }
    }
}
