import Foundation
import Hummingbird
import Testing

@testable import REST

@Suite("Rate-limit gate, backoff and parsing")
struct RateLimitGateTests {
    typealias Gate = RateLimitGate<ContinuousClock.Instant>
    let t0 = ContinuousClock.now

    @Test func coolDownBlocksUntilItEnds() {
        var gate = Gate()
        #expect(gate.decision(at: t0) == .proceed)
        let until = gate.recordRateLimited(retryAfter: .seconds(2), at: t0)
        #expect(until == t0 + .seconds(2))
        #expect(gate.decision(at: t0 + .seconds(1)) == .coolDown(until: until))
        #expect(gate.decision(at: t0 + .seconds(2)) == .proceed)
    }

    @Test func coolDownIsNeverShortenedByALaterShorterOne() {
        var gate = Gate()
        gate.recordRateLimited(retryAfter: .seconds(10), at: t0)
        let until = gate.recordRateLimited(retryAfter: .seconds(1), at: t0 + .seconds(1))
        #expect(until == t0 + .seconds(10))
        #expect(gate.decision(at: t0 + .seconds(5)) == .coolDown(until: t0 + .seconds(10)))
    }

    @Test func banWinsOverCoolDownAndEnds() {
        var gate = Gate()
        gate.recordRateLimited(retryAfter: .seconds(30), at: t0)
        let until = gate.recordBanned(for: .seconds(120), at: t0)
        #expect(gate.decision(at: t0 + .seconds(1)) == .banned(until: until))
        #expect(gate.decision(at: t0 + .seconds(60)) == .banned(until: until))
        #expect(gate.decision(at: t0 + .seconds(120)) == .proceed)
    }

    @Test func retryAfterParsing() {
        #expect(parseRetryAfter("1") == .seconds(1))
        #expect(parseRetryAfter(" 120 ") == .seconds(120))
        #expect(parseRetryAfter("0.5") == .milliseconds(500))
        #expect(parseRetryAfter("-3") == nil)
        #expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(parseRetryAfter(nil) == nil)
    }

    @Test func backoffIsFullJitterUnderAnExponentialCap() {
        let base = Duration.milliseconds(100)
        let cap = Duration.seconds(1)
        // The injected generator returns the top of the range: the exponential ceiling.
        let top = { (range: ClosedRange<Double>) in range.upperBound }
        #expect(backoffDelay(retry: 1, base: base, cap: cap, random: top) == .milliseconds(100))
        #expect(backoffDelay(retry: 2, base: base, cap: cap, random: top) == .milliseconds(200))
        #expect(backoffDelay(retry: 4, base: base, cap: cap, random: top) == .milliseconds(800))
        #expect(backoffDelay(retry: 5, base: base, cap: cap, random: top) == .seconds(1))
        #expect(backoffDelay(retry: 200, base: base, cap: cap, random: top) == .seconds(1))
        #expect(backoffDelay(retry: 3, base: base, cap: cap) { $0.lowerBound } == .zero)
        for retry in 1...10 {
            let delay = backoffDelay(retry: retry, base: base, cap: cap)
            #expect(delay >= .zero && delay <= cap)
        }
    }
}

@Suite("Request, response and error values")
struct RESTValueTests {
    @Test func queryItemsArePercentEncoded() {
        let request = RESTClient.Request(
            url: "https://api.binance.com/api/v3/klines",
            query: [("symbol", "BTCUSDT"), ("interval", "1m"), ("q", "a+b c/d?é")])
        #expect(request.queryString == "symbol=BTCUSDT&interval=1m&q=a%2Bb%20c%2Fd%3F%C3%A9")
        #expect(request.fullURL == "https://api.binance.com/api/v3/klines?" + request.queryString)
        let withQuery = RESTClient.Request(url: "http://h/p?x=1", query: [("y", "2")])
        #expect(withQuery.fullURL == "http://h/p?x=1&y=2")
    }

    @Test func headersLookUpCaseInsensitively() {
        var headers: RESTClient.Headers = ["Content-Type": "application/json"]
        headers.add(name: "Set-Cookie", value: "a=1")
        headers.add(name: "set-cookie", value: "b=2")
        #expect(headers["content-type"] == "application/json")
        #expect(headers.values(for: "SET-COOKIE") == ["a=1", "b=2"])
        headers["CONTENT-TYPE"] = "text/plain"
        #expect(headers["Content-Type"] == "text/plain")
        #expect(headers.count == 3)
        headers["set-cookie"] = nil
        #expect(!headers.contains("Set-Cookie"))
        #expect(RESTClient.Headers.parseLine("X-MBX-USED-WEIGHT-1M:  42\r\n")! == ("X-MBX-USED-WEIGHT-1M", "42"))
        #expect(RESTClient.Headers.parseLine("\r\n") == nil)
    }

    @Test func errorDescriptionHidesQueryAndHeaders() {
        let request = RESTClient.Request(
            url: "https://api.binance.com/api/v3/order", query: [("timestamp", "1"), ("signature", "s3cr3t")],
            headers: ["X-MBX-APIKEY": "k3y"])
        let error = RESTError(.httpStatus, request: request.redactedDescription, status: 401, bodySnippet: "{}")
        #expect(error.description == "RESTError.httpStatus (GET https://api.binance.com/api/v3/order): HTTP 401")
        for text in [error.description, error.debugDescription] {
            #expect(!text.contains("s3cr3t"))
            #expect(!text.contains("k3y"))
        }
        #expect(error.debugDescription.contains("body: {}"))
        #expect(error.debugDescription.contains("RESTError.swift") == false)
        #expect(error.debugDescription.contains("RESTUnitTests.swift"))
    }

    @Test func malformedJSONNamesTheProblem() throws {
        let response = RESTClient.Response(status: 200, headers: [:], body: Array(#"{"symbol":"BTCUSDT","price":}"#.utf8))
        let error = #expect(throws: RESTError.self) { try response.json(Ticker.self) }
        #expect(error?.code == .decoding)
        #expect(error?.detail?.contains("malformed JSON") == true)
        #expect(error?.bodySnippet == #"{"symbol":"BTCUSDT","price":}"#)
    }

    @Test func missingAndMistypedFieldsAreNamed() throws {
        let missing = RESTClient.Response(status: 200, headers: [:], body: Array(#"{"symbol":"BTCUSDT","price":"1"}"#.utf8))
        let missingError = #expect(throws: RESTError.self) { try missing.json(Ticker.self) }
        #expect(missingError?.detail?.contains("missing key 'count'") == true)

        let mistyped = RESTClient.Response(
            status: 200, headers: [:], body: Array(#"[{"symbol":"BTCUSDT","price":"1","count":"three"}]"#.utf8))
        let mistypedError = #expect(throws: RESTError.self) { try mistyped.json([Ticker].self) }
        #expect(mistypedError?.detail?.contains("[0].count") == true)
        #expect(mistypedError?.description.contains("[0].count") == true)
    }
}

@Suite("Decoding over HTTP")
struct RESTDecodingTests {
    @Test func malformedBodyFromServerFailsWithDecodingError() async throws {
        try await withTestServer { router, _ in
            router.get("broken-json") { _, _ in Reply.json(#"{"symbol": "BTCUSDT", "price": "#) }
        } _: { base, _ in
            let response = try await makeTestClient().get(base + "/broken-json")
            let error = #expect(throws: RESTError.self) { try response.json(Ticker.self) }
            #expect(error?.code == .decoding)
            #expect(error?.detail?.contains("Ticker") == true)
            #expect(error?.detail?.contains("malformed JSON") == true)
            #expect(error?.request.hasSuffix("/broken-json") == true)
        }
    }
}
