import Foundation
import Hummingbird
import Logging
import Metrics

extension RESTRoutes {
    /// The REST side of the control API:
    /// - `POST /_replay/rest-fault` `{"status":503,"seconds":10}`: every Binance REST path
    ///   answers that status (with a Binance-style body) for that long;
    ///   `{"timeout":true,"seconds":5}`: they hang without answering for that long;
    ///   `{"body":"truncated"|"malformed"|"short","seconds":5}`: they answer 200 with a body cut
    ///   in half, an HTML page, or a top-level array cut to 3 elements.
    /// - `POST /_replay/rest-fault/clear`: ends the fault (hanging requests are answered).
    /// - `POST /_replay/reset-weights`: forgets every request-weight count, 429 and ban.
    /// - `GET /_replay/status`: replay time, speed, markets and symbol counts, the REST fault.
    ///
    /// Faults are logged and counted in `alphapulse.replay.faults` (dimension `kind`:
    /// `rest-status`, `rest-timeout` or `rest-body`, as the WebSocket faults name theirs).
    static func registerControl<Context: RequestContext>(on router: Router<Context>, server: Server) {
        router.post("/_replay/rest-fault") { request, _ -> Response in
            let fault: FaultRequest
            do {
                let body = try await request.body.collect(upTo: 64 * 1024)
                fault = try JSONDecoder().decode(FaultRequest.self, from: Data(body.readableBytesView))
            } catch {
                return controlError(
                    "body must be JSON: {\"status\":503,\"seconds\":10}, {\"timeout\":true,\"seconds\":5} or {\"body\":\"truncated\",\"seconds\":5}")
            }
            guard fault.seconds.isFinite, fault.seconds > 0, fault.seconds <= 86_400 else {
                return controlError("seconds must be in (0, 86400]")
            }
            let kind: String
            var metadata: Logger.Metadata = ["fault.seconds": "\(fault.seconds)"]
            switch (fault.status, fault.timeout ?? false, fault.body) {
            case (nil, false, let body?):
                guard let damage = RESTFaults.BodyFault(rawValue: body) else {
                    return controlError("body must be one of \(RESTFaults.BodyFault.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                server.faults.damageBodies(damage, for: fault.seconds)
                kind = "rest-body"
                metadata["fault.body"] = "\(body)"
            case (let status?, false, nil):
                guard (400...599).contains(status) else { return controlError("status must be in 400...599") }
                server.faults.failWithStatus(status, for: fault.seconds)
                kind = "rest-status"
                metadata["http.status"] = "\(status)"
            case (nil, true, nil):
                server.faults.hang(for: fault.seconds)
                kind = "rest-timeout"
            default:
                return controlError("give exactly one of status, \"timeout\":true or body")
            }
            metadata["fault.kind"] = "\(kind)"
            Counter(label: "alphapulse.replay.faults", dimensions: [("kind", kind)]).increment()
            server.state.logger.info("REST fault injected", metadata: metadata)
            return .binanceJSON(faultStatus(server.faults))
        }

        router.post("/_replay/rest-fault/clear") { _, _ -> Response in
            server.faults.clear()
            server.state.logger.info("REST fault cleared")
            return .binanceJSON(faultStatus(server.faults))
        }

        router.post("/_replay/reset-weights") { _, _ -> Response in
            server.limits.reset()
            server.state.logger.info("REST request weights, rate limits and bans reset")
            return .binanceJSON(.object([("reset", .bool(true))]))
        }

        router.get("/_replay/status") { _, _ -> Response in
            let state = server.state
            var markets: [(String, BinanceJSON)] = []
            for market in ReplayMarket.allCases {
                guard let data = state.data(market) else { continue }
                markets.append((market.rawValue, .object([
                    ("symbols", .int(data.symbols.count)),
                    ("firstOpenTime", data.firstOpenTime.map(BinanceJSON.int) ?? .null),
                    ("lastOpenTime", data.lastOpenTime.map(BinanceJSON.int) ?? .null),
                    ("weightLimit", .int(server.limits.limit(market))),
                ])))
            }
            return .binanceJSON(.object([
                ("now", .int(state.clock.nowMillis())),
                ("speed", .double(state.clock.speed)),
                ("markets", .object(markets)),
                ("restFault", faultStatus(server.faults)),
            ]))
        }
    }

    /// The body of `POST /_replay/rest-fault`.
    struct FaultRequest: Decodable {
        var status: Int?
        var timeout: Bool?
        var body: String?
        var seconds: Double
    }

    /// The fault in force: `{"fault":"status","status":503,"remainingSeconds":9.9}`,
    /// `{"fault":"timeout",…}`, `{"fault":"body","body":"short",…}` or `{"fault":null}`.
    static func faultStatus(_ faults: RESTFaults) -> BinanceJSON {
        switch faults.current {
        case .status(let status):
            return .object([
                ("fault", .string("status")), ("status", .int(status)), ("remainingSeconds", .double(faults.remainingSeconds)),
            ])
        case .timeout:
            return .object([("fault", .string("timeout")), ("remainingSeconds", .double(faults.remainingSeconds))])
        case .body(let damage):
            return .object([
                ("fault", .string("body")), ("body", .string(damage.rawValue)), ("remainingSeconds", .double(faults.remainingSeconds)),
            ])
        case nil:
            return .object([("fault", .null)])
        }
    }

    static func controlError(_ message: String) -> Response {
        .binanceJSON(.object([("error", .string(message))]), status: .badRequest)
    }
}
