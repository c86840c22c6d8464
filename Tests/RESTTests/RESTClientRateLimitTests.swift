import Foundation
import Hummingbird
import REST
import Synchronization
import TestSupport
import Testing

@Suite("RESTClient rate limits (429 / 418)")
struct RESTClientRateLimitTests {
    @Test func rateLimitPausesEveryRequestUntilRetryAfterThenRetries() async throws {
        let hits = Atomic<Int>(0)
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in
                if hits.add(1, ordering: .relaxed).newValue == 1 {
                    return Reply.json(
                        #"{"code":-1003,"msg":"Too many requests"}"#, status: .tooManyRequests,
                        headers: ["Retry-After": "5", "X-MBX-USED-WEIGHT-1M": "6001"])
                }
                return Reply.json(tickerJSON, headers: ["X-MBX-USED-WEIGHT-1M": "12"])
            }
            router.get("ticker") { _, _ in Reply.json(tickerJSON) }
        } _: { base, log in
            // A 5 s cool-down, so that even a starved test run sees it before it ends (with 1 s a
            // CI run once polled past it).
            let client = makeTestClient(maxRetryAfterWait: .seconds(10))
            let limited = Task { try await client.get(base + "/klines") }
            #expect(await waitUntil(timeout: .seconds(60)) { log.count("/klines") == 1 })
            // Once the client has seen the 429, start another request during the cool-down.
            #expect(await waitUntil(timeout: .seconds(60)) { client.rateLimitedUntil != nil })
            let concurrent = try await client.get(base + "/ticker")
            let response = try await limited.value

            #expect(response.status == 200)
            #expect(response.attempts == 2)
            #expect(concurrent.status == 200)
            let limitedHits = log.hits("/klines")
            let concurrentHits = log.hits("/ticker")
            #expect(limitedHits.count == 2)
            #expect(concurrentHits.count == 1)
            let rateLimitedAt = limitedHits[0].time
            #expect(limitedHits[1].time - rateLimitedAt >= .seconds(5))
            #expect(concurrentHits[0].time - rateLimitedAt >= .seconds(5))
        }
    }

    @Test func retryAfterLongerThanTheMaximumFailsAtOnce() async throws {
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in Reply.json("{}", status: .tooManyRequests, headers: ["Retry-After": "120"]) }
            router.get("ticker") { _, _ in Reply.json(tickerJSON) }
        } _: { base, log in
            let client = makeTestClient(maxRetryAfterWait: .seconds(5))
            let started = ContinuousClock.now
            let error = await #expect(throws: RESTError.self) { try await client.get(base + "/klines") }
            #expect(error?.code == .rateLimited)
            #expect(error?.status == 429)
            #expect(error?.retryAfter == .seconds(120))
            // Neither retried nor waited out the 120 s it was told to (a bound, not a timing).
            #expect(log.count("/klines") == 1)
            #expect(error?.attempts == 1)
            #expect(ContinuousClock.now - started < .seconds(100))

            // The cool-down applies client-wide: another path is not even sent.
            let next = await #expect(throws: RESTError.self) { try await client.get(base + "/ticker") }
            #expect(next?.code == .rateLimited)
            #expect(next?.attempts == 0)
            #expect(log.count("/ticker") == 0)
        }
    }

    @Test func banFailsAndBlocksEveryLaterRequestWithoutSending() async throws {
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in
                Reply.json(#"{"code":-1003,"msg":"Way too many requests; IP banned"}"#, status: .init(code: 418), headers: ["Retry-After": "300"])
            }
            router.get("ticker") { _, _ in Reply.json(tickerJSON) }
        } _: { base, log in
            let client = makeTestClient()
            let before = Date.now
            let error = await #expect(throws: RESTError.self) { try await client.get(base + "/klines") }
            let after = Date.now
            #expect(error?.code == .banned)
            #expect(error?.status == 418)
            let until = try #require(error?.bannedUntil)
            // 300 s from the answer, which came between `before` and `after`.
            #expect(until.timeIntervalSince(before) > 299 && until.timeIntervalSince(after) < 301)
            #expect(log.count("/klines") == 1)
            #expect(client.bannedUntil != nil)

            for path in ["/klines", "/ticker"] {
                let blocked = await #expect(throws: RESTError.self) { try await client.get(base + path) }
                #expect(blocked?.code == .banned)
                #expect(blocked?.attempts == 0)
            }
            #expect(log.count("/klines") == 1)
            #expect(log.count("/ticker") == 0)
        }
    }

    @Test func banWithoutRetryAfterUsesTheDefaultDuration() async throws {
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in Reply.json("{}", status: .init(code: 418)) }
        } _: { base, _ in
            let client = makeTestClient()
            let error = await #expect(throws: RESTError.self) { try await client.get(base + "/klines") }
            #expect(error?.code == .banned)
            #expect(error?.retryAfter == client.configuration.defaultBanDuration)
        }
    }
}
