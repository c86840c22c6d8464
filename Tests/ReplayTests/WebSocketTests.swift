import TestSupport
import Foundation
import Synchronization
import Testing
import WSClient

@testable import Replay

/// WebSocket side of the replay server, against a real server on a loopback port with the real
/// futures fixture and a replay clock at 600× (a minute every 0.1 s).
@Suite(.serialized) struct WebSocketTests {
    /// The k objects of kline frames, per stream, in arrival order.
    static func klines(_ messages: [String], combined: Bool) throws -> [String: [[String: Any]]] {
        var result: [String: [[String: Any]]] = [:]
        for message in messages {
            let object = try #require(jsonObject(message))
            let payload = combined ? try #require(object["data"] as? [String: Any]) : object
            guard payload["e"] as? String == "kline" else { continue }
            let k = try #require(payload["k"] as? [String: Any])
            result[try #require(payload["s"] as? String), default: []].append(k)
        }
        return result
    }

    @Test func everyClosedKlineEqualsTheArchiveMinuteInOrder() async throws {
        try await WSHarness.run { server in
            let received = try await collect("\(server.base)/market/stream?streams=algousdt@kline_1m/dotusdt@kline_1m", seconds: 1.5)
            let data = try #require(server.state.futures)
            let bySymbol = try Self.klines(received.messages, combined: true)
            #expect(Set(bySymbol.keys) == ["ALGOUSDT", "DOTUSDT"])
            for (symbol, frames) in bySymbol {
                let finals = frames.filter { $0["x"] as? Bool == true }
                #expect(finals.count >= 8, "\(symbol): \(finals.count) final frames")
                let openTimes = finals.compactMap { ($0["t"] as? NSNumber)?.int64Value }
                #expect(zip(openTimes, openTimes.dropFirst()).allSatisfy { $1 == $0 + 60_000 }, "one final frame per minute, in order")
                for k in finals {
                    let openTime = try #require((k["t"] as? NSNumber)?.int64Value)
                    let expected = try #require(data.closedKline(symbol: symbol, openTime: openTime))
                    #expect(k["o"] as? String == expected.open && k["h"] as? String == expected.high)
                    #expect(k["l"] as? String == expected.low && k["c"] as? String == expected.close)
                    #expect(k["v"] as? String == expected.volume && k["q"] as? String == expected.quoteVolume)
                    #expect(k["V"] as? String == expected.takerBuyVolume && k["Q"] as? String == expected.takerBuyQuoteVolume)
                    #expect((k["n"] as? NSNumber)?.int64Value == expected.trades)
                    #expect((k["T"] as? NSNumber)?.int64Value == expected.closeTime && k["i"] as? String == "1m" && k["B"] as? String == "0")
                }
                // Updates of a minute come before its final frame, never after.
                var closed = Set<Int64>()
                for k in frames {
                    let openTime = try #require((k["t"] as? NSNumber)?.int64Value)
                    #expect(!closed.contains(openTime))
                    if k["x"] as? Bool == true { closed.insert(openTime) }
                }
                #expect(frames.count > finals.count, "updates during the minute")
            }
        }
    }

    @Test func rawPathsCarryBarePayloadsAndMarkPrices() async throws {
        try await WSHarness.run { server in
            let received = try await collect("\(server.base)/market/ws/linkusdt@kline_1m/linkusdt@markPrice@1s", seconds: 1.2)
            let objects = received.messages.compactMap(jsonObject)
            #expect(objects.count == received.messages.count && objects.allSatisfy { $0["stream"] == nil })
            #expect(objects.contains { $0["e"] as? String == "kline" && $0["s"] as? String == "LINKUSDT" })
            if server.state.futures?.premiumIndex(symbol: "LINKUSDT", now: server.state.clock.nowMillis()) != nil {
                let marks = objects.filter { $0["e"] as? String == "markPriceUpdate" }
                #expect(!marks.isEmpty)
                #expect(marks.allSatisfy { ["E", "s", "p", "i", "P", "r", "T"].allSatisfy($0.keys.contains) })
            }
        }
    }

    @Test func subscribesOverTheConnection() async throws {
        try await WSHarness.run { server in
            let received = try await collect(
                "\(server.base)/market/ws", seconds: 0.8,
                send: [
                    #"{"method":"SUBSCRIBE","params":["nearusdt@kline_1m"],"id":1}"#,
                    #"{"method":"LIST_SUBSCRIPTIONS","id":2}"#,
                    #"{"method":"SUBSCRIBE","params":["nearusdt@depth"],"id":3}"#,
                ]
            )
            #expect(received.messages.contains(#"{"result":null,"id":1}"#))
            #expect(received.messages.contains(#"{"result":["nearusdt@kline_1m"],"id":2}"#))
            #expect(received.messages.contains(#"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":3}"#))
            #expect(try Self.klines(received.messages, combined: false)["NEARUSDT"]?.isEmpty == false)
        }
    }

    @Test func refusesUnknownStreamsAndTooManyStreamsOnThePath() async throws {
        var options = ReplayOptions()
        options.futuresMaxStreams = 2
        try await WSHarness.run(options: options) { server in
            var accepted: [Bool] = []
            for path in ["/market/ws/algousdt@kline_1m", "/market/stream?streams=a@kline_1m/b@kline_1m", "/ws", "/market/stream"] {
                accepted.append(try await RawSocket.webSocket(port: server.port, path: path) != nil)
            }
            #expect(accepted == [true, true, true, true])
            var refused: [Bool] = []
            for path in [
                "/market/ws/algousdt@trade", "/ws/algousdt@markPrice@1s", "/market/ws/ALGOUSDT@kline_1m",
                "/market/stream?streams=a@kline_1m/b@kline_1m/c@kline_1m",
            ] {
                refused.append(try await RawSocket.webSocket(port: server.port, path: path) == nil)
            }
            #expect(refused == [true, true, true, true])
        }
    }

    @Test func disconnectsAClientSendingTooManyMessages() async throws {
        try await WSHarness.run { server in
            // A burst far over the limit of 10 per second, so that even a slow, loaded client
            // sends more than 10 inside one second.
            let requests = (1...60).map { #"{"method":"LIST_SUBSCRIPTIONS","id":\#($0)}"# }
            let received = try await collect("\(server.base)/market/ws", seconds: 2, send: requests, sendSpacing: 0)
            #expect(received.close?.closeCode == .policyViolation && received.close?.reason == "too many incoming messages")
            // The limit is a sliding one-second window: a client stalled mid-burst may get a
            // few more than 10 answers before 11 land within one second, but never all 60.
            #expect(received.messages.count < requests.count)
            #expect(await waitUntil(timeout: .seconds(60)) { server.hub.connectionCount == 0 })
        }
    }

    @Test func closesConnectionsAtTheEndOfTheirLifetime() async throws {
        var options = ReplayOptions()
        options.connectionLifetimeSeconds = 0.5
        try await WSHarness.run(options: options) { server in
            let start = ContinuousClock.now
            let received = try await collect("\(server.base)/market/ws/algousdt@kline_1m", seconds: 5)
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(received.close?.closeCode == .goingAway && received.close?.reason == "connection lifetime reached")
        }
    }

    @Test func pingsAndDropsAClientThatDoesNotPong() async throws {
        var options = ReplayOptions()
        options.futuresPingIntervalSeconds = 0.2
        // Several intervals, so a server task starved for a moment by the rest of the parallel
        // suite still sends a second ping before the timeout ends the connection.
        options.futuresPongTimeoutSeconds = 3
        try await WSHarness.run(options: options) { server in
            // WSClient answers pings, so it stays connected past the timeout.
            let ponging = try await collect("\(server.base)/market/ws/algousdt@kline_1m", seconds: 3.5)
            #expect(ponging.close?.closeCode == .normalClosure)
            let silent = try #require(try await RawSocket.webSocket(port: server.port, path: "/market/ws/algousdt@kline_1m"))
            let start = ContinuousClock.now
            var pings = 0
            while let frame = await silent.readFrame(timeout: 20) {
                if frame.opcode == 0x9 { pings += 1 }
                if frame.opcode == 0x8 { break }
            }
            let elapsed = ContinuousClock.now - start
            #expect(pings >= 2)
            // Generous upper bound: the whole suite shares two cores.
            #expect(elapsed > .milliseconds(500) && elapsed < .seconds(15))
        }
    }

    @Test func dropConnectionsClosesEveryConnection() async throws {
        try await WSHarness.run { server in
            async let first = collect("\(server.base)/market/ws/algousdt@kline_1m", seconds: 10)
            async let second = collect("\(server.base)/market/stream?streams=dotusdt@kline_1m", seconds: 10)
            while server.hub.connectionCount < 2 { try await Task.sleep(for: .milliseconds(20)) }
            let status = try #require(try await RawSocket.http(port: server.port, "GET", "/_replay/ws-status"))
            let connections = try #require(jsonObject(status.body)?["connections"] as? [[String: Any]])
            #expect(connections.count == 2 && connections.allSatisfy { $0["market"] as? String == "futures" })
            let start = ContinuousClock.now
            let reply = try #require(try await RawSocket.http(port: server.port, "POST", "/_replay/drop-connections"))
            #expect(reply.status == 200 && reply.body == #"{"dropped":2}"#)
            _ = try? await first
            _ = try? await second
            #expect(ContinuousClock.now - start < .seconds(2))
            #expect(server.hub.connectionCount == 0)
        }
    }

    @Test func frameFaultsReachTheClient() async throws {
        try await WSHarness.run { server in
            let armed = Atomic<Bool>(false)
            let received = try await collect("\(server.base)/market/ws/algousdt@kline_1m", seconds: 1.5) { _ in
                if !armed.exchange(true, ordering: .relaxed) {
                    _ = try? await RawSocket.http(port: server.port, "POST", "/_replay/duplicate-kline", body: #"{"count":1}"#)
                    _ = try? await RawSocket.http(port: server.port, "POST", "/_replay/out-of-order-kline", body: #"{"count":1}"#)
                }
            }
            let finals = try Self.klines(received.messages, combined: false)["ALGOUSDT", default: []]
                .filter { $0["x"] as? Bool == true }.compactMap { ($0["t"] as? NSNumber)?.int64Value }
            let pairs = Array(zip(finals, finals.dropFirst()))
            #expect(pairs.filter { $0 == $1 }.count == 1, "one duplicate final frame")
            #expect(pairs.filter { $1 < $0 }.count == 1, "one older final frame after a newer one")
        }
    }

    @Test func malformedFrameReachesTheClient() async throws {
        try await WSHarness.run { server in
            let armed = Atomic<Bool>(false)
            let received = try await collect("\(server.base)/market/ws/algousdt@kline_1m", seconds: 1) { _ in
                if !armed.exchange(true, ordering: .relaxed) {
                    _ = try? await RawSocket.http(port: server.port, "POST", "/_replay/malformed", body: #"{"count":1}"#)
                }
            }
            #expect(received.messages.filter { jsonObject($0) == nil }.count == 1, "one malformed frame")
            #expect(received.messages.count > 3)
        }
    }

    @Test func stalledConnectionsStayOpenButSilent() async throws {
        try await WSHarness.run { server in
            let times = Mutex<[ContinuousClock.Instant]>([])
            let stalled = Atomic<Bool>(false)
            let received = try await collect("\(server.base)/market/ws/algousdt@kline_1m", seconds: 2.5) { _ in
                times.withLock { $0.append(.now) }
                if !stalled.exchange(true, ordering: .relaxed) {
                    _ = try? await RawSocket.http(port: server.port, "POST", "/_replay/stall", body: #"{"seconds":1}"#)
                }
            }
            let arrivals = times.withLock { $0 }
            let longestGap = zip(arrivals, arrivals.dropFirst()).map { $1 - $0 }.max() ?? .zero
            #expect(longestGap >= .milliseconds(900))
            #expect(received.close?.closeCode == .normalClosure)
        }
    }
}
