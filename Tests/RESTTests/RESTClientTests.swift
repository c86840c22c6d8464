import Foundation
import Hummingbird
import REST
import Testing

/// A client with fast retries, so failure-path tests stay quick, and timeouts long enough that
/// a machine starved for tens of seconds (a CI run starting every suite at once) never turns
/// an answer the test waits for into a timeout and a retry.
func makeTestClient(
    maxRetries: Int = 3,
    timeout: Duration = .seconds(60),
    maxConcurrentRequests: Int = 4,
    maxRetryAfterWait: Duration = .seconds(5)
) -> RESTClient {
    RESTClient(
        configuration: .init(
            timeout: timeout,
            connectTimeout: .seconds(30),
            maxRetries: maxRetries,
            backoffBase: .milliseconds(10),
            backoffCap: .milliseconds(50),
            maxConcurrentRequests: maxConcurrentRequests,
            userAgent: "AlphaPulse-Test/1.0",
            maxRetryAfterWait: maxRetryAfterWait
        ))
}

struct Ticker: Decodable, Equatable {
    let symbol: String
    let price: String
    let count: Int
}

let tickerJSON = #"{"symbol":"BTCUSDT","price":"42000.50","count":3}"#

@Suite("RESTClient basics")
struct RESTClientTests {
    @Test func decodesJSONAndExposesHeadersQueryAndRequestHeaders() async throws {
        try await withTestServer { router, _ in
            router.get("ticker") { _, _ in Reply.json(tickerJSON, headers: ["X-MBX-USED-WEIGHT-1M": "7"]) }
        } _: { base, log in
            let client = makeTestClient()
            let response = try await client.get(
                base + "/ticker",
                query: [("symbol", "BTC/USDT"), ("note", "a b&c=d"), ("name", "ü~")],
                headers: ["X-Custom": "yes"])

            #expect(response.status == 200)
            #expect(try response.json(Ticker.self) == Ticker(symbol: "BTCUSDT", price: "42000.50", count: 3))
            #expect(response.usedWeight1m == 7)
            #expect(response.headers["x-mbx-used-weight-1m"] == "7")
            #expect(response.headers["CONTENT-TYPE"] == "application/json")
            #expect(response.attempts == 1)
            #expect(response.openedNewConnection)
            #expect(client.usedWeight1m == 7)

            let hit = try #require(log.hits("/ticker").first)
            #expect(hit.rawQuery == "symbol=BTC%2FUSDT&note=a%20b%26c%3Dd&name=%C3%BC~")
            #expect(hit.query == ["symbol": "BTC/USDT", "note": "a b&c=d", "name": "ü~"])
            #expect(hit.headers["user-agent"] == "AlphaPulse-Test/1.0")
            #expect(hit.headers["accept-encoding"]?.contains("gzip") == true)
            #expect(hit.headers["x-custom"] == "yes")
        }
    }

    @Test func decodesGzipEncodedBodyTransparently() async throws {
        let rows = (0..<200).map { #"[1769904000000,"0.1012","0.1015","0.1010","0.1013","\#($0)"]"# }
        let payload = Array(("[" + rows.joined(separator: ",") + "]").utf8)
        let compressed = StoredGzip.encode(payload)
        try await withTestServer { router, _ in
            router.get("klines") { _, _ in
                Reply.make(.ok, body: compressed, headers: ["Content-Encoding": "gzip", "Content-Type": "application/json"])
            }
        } _: { base, log in
            let response = try await makeTestClient().get(base + "/klines")
            #expect(response.headers["content-encoding"] == "gzip")
            #expect(response.headers["content-length"] == "\(compressed.count)")
            #expect(response.body == payload)
            let decoded = try response.json([[JSONValue]].self)
            #expect(decoded.count == 200)
            #expect(log.hits("/klines").first?.headers["accept-encoding"]?.contains("gzip") == true)
        }
    }

    @Test func sequentialRequestsReuseTheConnection() async throws {
        try await withTestServer { router, _ in
            router.get("ticker") { _, _ in Reply.json(tickerJSON) }
        } _: { base, log in
            let client = makeTestClient()
            let first = try await client.get(base + "/ticker")
            let second = try await client.get(base + "/ticker")
            #expect(first.openedNewConnection)
            #expect(!second.openedNewConnection)
            let ports = log.hits("/ticker").map(\.remotePort)
            #expect(ports.count == 2)
            #expect(ports[0] != nil && ports[0] == ports[1])
        }
    }

    @Test func requestsBeyondThePoolSizeWaitForAFreeHandle() async throws {
        try await withTestServer { router, _ in
            router.get("ticker") { _, _ in
                try await Task.sleep(for: .milliseconds(50))
                return Reply.json(tickerJSON)
            }
        } _: { base, log in
            let client = makeTestClient(maxConcurrentRequests: 1)
            let responses = try await withThrowingTaskGroup(of: RESTClient.Response.self) { group in
                for _ in 0..<4 { group.addTask { try await client.get(base + "/ticker") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.count == 4)
            // One handle: one connection, opened once and reused by the others.
            #expect(responses.filter(\.openedNewConnection).count == 1)
            #expect(Set(log.hits("/ticker").compactMap(\.remotePort)).count == 1)
        }
    }

    @Test func postSendsMethodAndBody() async throws {
        try await withTestServer { router, _ in
            router.post("echo") { request, _ in
                let body = try await request.body.collect(upTo: 1 << 16)
                return Reply.make(.ok, body: Array(buffer: body), headers: ["Content-Type": "text/plain"])
            }
        } _: { base, log in
            let request = RESTClient.Request(
                method: .post, url: base + "/echo", headers: ["Content-Type": "text/plain"], body: Array("hello".utf8))
            let response = try await makeTestClient().execute(request)
            #expect(response.text == "hello")
            #expect(log.hits("/echo").first?.headers["expect"] == nil)
        }
    }
}

/// Any JSON value, for decoding rows of mixed types.
enum JSONValue: Decodable, Equatable {
    case number(Double), string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}
