import Core
import Foundation
@testable import Gateway
import Testing
import TestSupport

/// `/openapi.json` is the API's contract: it is served without a key, it is OpenAPI 3.1, every
/// path it documents is served, and a method it does not list is a 405 naming what is allowed.
/// (Schemathesis holds every answer to it in `deploy/alphapulse test`.)
@Suite struct GatewayOpenAPITests {
    @Test func theDocumentIsServedAndEveryDocumentedPathIsRouted() async throws {
        try await GatewayHarness.with("gw_openapi") { gateway in
            let key = try await gateway.keys.create(name: "ops", scope: .admin)
            let served = try await gateway.call("/openapi.json", headers: [:])
            #expect(served.status == 200 && served.contentType == "application/json")
            let document = served.object
            #expect(document["openapi"] as? String == "3.1.0")
            #expect((document["info"] as? [String: Any])?["version"] as? String == AlphaPulseVersion.current)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(paths.count >= 14)
            for (path, operations) in paths {
                #expect(!operations.isEmpty && Set(operations.keys).isSubset(of: ["get", "post"]), "\(path): GET and POST are served")
                for (method, operation) in operations {
                    // Path parameters from their examples; a request the router does not know is a
                    // 404 "no such path", which a documented path must never give.
                    var concrete = path
                    for parameter in (operation as? [String: Any])?["parameters"] as? [[String: Any]] ?? [] where parameter["in"] as? String == "path" {
                        concrete = concrete.replacingOccurrences(of: "{\(parameter["name"] ?? "")}", with: "\(parameter["example"] ?? "X")")
                    }
                    #expect(!concrete.contains("{"), "\(path) documents an example for every path parameter")
                    let answer = try await gateway.call(method.uppercased(), concrete, headers: ["Authorization": "Bearer \(key.text)"])
                    #expect(!(answer.problem.detail ?? "").hasPrefix("no such path"), "\(method) \(path) is documented but not routed")
                }
            }
        }
    }

    @Test func aMethodTheDocumentDoesNotListIs405WithAllow() async throws {
        try await GatewayHarness.with("gw_methods") { gateway in
            let key = try await gateway.keys.create(name: "ops", scope: .admin)
            // (Authentication comes first: a read key's write is a 403 before this.)
            for (method, path) in [("POST", "/api/v1/signals"), ("DELETE", "/api/v1/signals/id/3"), ("PUT", "/health"), ("TRACE", "/readyz")] {
                let answer = try await gateway.call(method, path, headers: ["Authorization": "Bearer \(key.text)"])
                #expect(answer.status == 405 && answer.headers["allow"] == "GET" && answer.contentType == "application/problem+json", "\(method) \(path)")
            }
            #expect(try await gateway.call("HEAD", "/healthz", headers: [:]).status == 405, "the router serves no HEAD")
            #expect(try await gateway.call("POST", "/api/v1/nothing", headers: ["Authorization": "Bearer \(key.text)"]).status == 404)
        }
    }

    @Test func pathsMatchTheirTemplatesSegmentBySegment() {
        let routes: [(segments: [String?], methods: Set<String>)] = [
            (["api", "v1", "signals", nil], ["GET"]), (["api", "v1", "signals", "id", nil], ["GET", "POST"]), (["health"], ["GET"]),
        ]
        #expect(OpenAPIDocument.allowedMethods("/api/v1/signals/id/7", routes: routes) == ["GET", "POST"])
        #expect(OpenAPIDocument.allowedMethods("/api/v1/signals/BTCUSDT", routes: routes) == ["GET"])
        #expect(OpenAPIDocument.allowedMethods("/api/v1/signals/BTCUSDT/x", routes: routes) == nil)
        #expect(OpenAPIDocument.allowedMethods("/health", routes: routes) == ["GET"])
        #expect(OpenAPIDocument.allowedMethods("/", routes: routes) == nil)
    }
}
