import Foundation
import Logging
import REST
import Synchronization
import Testing
import TestSupport
import WSClient
@testable import Replay

/// The replay server end to end: WebSocket, REST and the archive must tell one story.
@Suite struct ReplayIntegrationTests {
    /// Runs a replay server over the real futures fixture until `body` returns.
    static func withServer<T: Sendable>(
        start: Int64, speed: Double, options: ReplayOptions = ReplayOptions(),
        _ body: @Sendable (Int, ReplayState) async throws -> T
    ) async throws -> T {
        let futures = try await SharedFixture.futures()
        var logger = Logger(label: "replay.test")
        logger.logLevel = .warning
        let state = ReplayState(clock: ReplayClock(start: start, speed: speed), spot: nil, futures: futures, options: options, logger: logger)
        let port = Mutex<Int?>(nil)
        let server = ReplayServer.make(state: state, host: "127.0.0.1", port: 0) { bound in port.withLock { $0 = bound } }
        let running = Task { try await server.application.run() }
        defer { running.cancel() }
        #expect(await waitUntil { port.withLock { $0 } != nil })
        return try await body(try #require(port.withLock { $0 }), state)
    }

    /// Archive rows of one symbol by open time, as the CSV's text fields.
    static func archiveRows(_ symbol: String) throws -> [Int64: [String]] {
        let text = try Fixtures.futuresMonth(symbol)
        var rows: [Int64: [String]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            rows[Int64(fields[0])!] = fields
        }
        return rows
    }

    @Test func everyClosedWebSocketKlineEqualsRESTAndTheArchive() async throws {
        let start: Int64 = 1_769_907_600_000  // 2026-02-01 01:00 UTC
        let closed = try await Self.withServer(start: start, speed: 600) { port, _ in
            let frames = Mutex<[[String: String]]>([])
            // Bounded: a server that stopped sending, or never completed the close, fails the test
            // instead of hanging the run.
            let client = Task {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/market/ws/algousdt@kline_1m", logger: Logger(label: "ws.test")) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                              let event = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                              let kline = event["k"] as? [String: Any]
                        else { continue }
                        if kline["x"] as? Bool == true {
                            let fields = kline.mapValues { "\($0)" }
                            let count = frames.withLock { $0.append(fields); return $0.count }
                            if count == 5 {
                                try await outbound.close(.normalClosure, reason: nil)
                                return
                            }
                        }
                    }
                }
            }
            let watchdog = Task {
                try await Task.sleep(for: .seconds(30))
                client.cancel()
            }
            _ = try? await client.value
            watchdog.cancel()
            let klines = frames.withLock { $0 }
            let http = RESTClient(configuration: .init(maxRetries: 0))
            var matched: [(ws: [String: String], rest: [String])] = []
            for kline in klines {
                let openTime = Int64(kline["t"] ?? "") ?? -1
                let response = try await http.get(
                    "http://127.0.0.1:\(port)/fapi/v1/klines",
                    query: [("symbol", "ALGOUSDT"), ("interval", "1m"), ("startTime", String(openTime)), ("limit", "1")]
                )
                let rows = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [[Any]])
                matched.append((kline, try #require(rows.first).map { "\($0)" }))
            }
            return matched
        }
        #expect(closed.count == 5)
        let archive = try Self.archiveRows("ALGOUSDT")
        var previous: Int64?
        for (ws, rest) in closed {
            let openTime = try #require(Int64(ws["t"] ?? ""))
            #expect(openTime >= start)
            if let previous {
                #expect(openTime == previous + 60_000, "closed klines arrive in order, one per minute, none skipped")
            }
            previous = openTime
            let row = try #require(archive[openTime])
            // WebSocket k fields against the archive row.
            #expect([ws["o"], ws["h"], ws["l"], ws["c"], ws["v"], ws["T"], ws["q"], ws["n"], ws["V"], ws["Q"]].map { $0 ?? "" }
                    == [row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10]])
            // REST row against the archive row, field by field (REST has the 12 archive columns).
            #expect(Array(rest.prefix(11)) == Array(row.prefix(11)))
        }
    }
}
