import Core
import Foundation
import Hummingbird
import NIOCore

/// Binance's REST market-data API over the replay data, plus the REST fault controls.
///
/// Spot answers under `/api/v3/…`, USDⓈ-M futures under `/fapi/v1/…` and `/futures/data/…`; a
/// market without data has no routes, so its paths answer 404 like any unknown path. Every
/// Binance path counts request weight per client IP and market in wall-clock minutes and
/// reports it in `X-MBX-USED-WEIGHT-1M` (futures also `X-MBX-USED-WEIGHT`); past the limit it
/// answers 429 with `Retry-After`, and a client that keeps going is banned with 418.
///
/// Control API (same router): `POST /_replay/rest-fault` with `{"status":503,"seconds":10}` or
/// `{"timeout":true,"seconds":5}`, `POST /_replay/rest-fault/clear`,
/// `POST /_replay/reset-weights`, `GET /_replay/status`.
public enum RESTRoutes {
    /// Registers every REST route on `router`.
    ///
    /// `BasicRequestContext` does not carry the peer address, so clients are told apart by the
    /// first `X-Forwarded-For` entry and otherwise count as `127.0.0.1` (the server runs on
    /// loopback). Use the overload for a `RemoteAddressRequestContext` to count real peers.
    public static func register(
        on router: Router<BasicRequestContext>, state: ReplayState, faults: RESTFaults,
        wallMillis: @escaping @Sendable () -> Int64 = RESTRoutes.realMillis
    ) {
        register(on: router, state: state, faults: faults, wallMillis: wallMillis) { request, _ in
            forwardedClient(request) ?? "127.0.0.1"
        }
    }

    /// Unix milliseconds of real time: the clock Binance's weight windows run on.
    public static let realMillis: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Registers every REST route on `router`, counting weight per peer IP address in windows of
    /// `wallMillis`' minutes (real time unless a test freezes it).
    public static func register<Context: RemoteAddressRequestContext>(
        on router: Router<Context>, state: ReplayState, faults: RESTFaults,
        wallMillis: @escaping @Sendable () -> Int64 = RESTRoutes.realMillis
    ) {
        register(on: router, state: state, faults: faults, wallMillis: wallMillis) { request, context in
            forwardedClient(request) ?? context.remoteAddress?.ipAddress ?? "127.0.0.1"
        }
    }

    static func register<Context: RequestContext>(
        on router: Router<Context>, state: ReplayState, faults: RESTFaults,
        wallMillis: @escaping @Sendable () -> Int64 = RESTRoutes.realMillis,
        clientAddress: @escaping @Sendable (Request, Context) -> String
    ) {
        let limits = MarketWeightLimits(options: state.options, wallMillis: wallMillis)
        let server = Server(state: state, faults: faults, limits: limits)
        if let spot = state.spot {
            registerSpot(on: Endpoints(router: router, server: server, market: .spot, data: spot, clientAddress: clientAddress))
        }
        if let futures = state.futures {
            registerFutures(
                on: Endpoints(router: router, server: server, market: .futures, data: futures, clientAddress: clientAddress))
        }
        registerControl(on: router, server: server)
    }

    /// The first address of `X-Forwarded-For`, if the request carries one.
    static func forwardedClient(_ request: Request) -> String? {
        guard let value = request.headers[.xForwardedFor] else { return nil }
        let first = value.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) ?? ""
        return first.isEmpty ? nil : first
    }

    /// What every handler shares.
    struct Server: Sendable {
        let state: ReplayState
        let faults: RESTFaults
        let limits: MarketWeightLimits
    }

    /// Registers the Binance paths of one market, each wrapped in fault injection and weight
    /// accounting.
    struct Endpoints<Context: RequestContext> {
        let router: Router<Context>
        let server: Server
        let market: ReplayMarket
        let data: MarketData
        let clientAddress: @Sendable (Request, Context) -> String

        /// Adds `GET path`: `weight` prices the request from its parameters (before they are
        /// validated, as Binance charges bad requests too); `body` answers it at replay time `now`.
        func get(
            _ path: RouterPath,
            weight: @escaping @Sendable (BinanceQuery) -> Int,
            body: @escaping @Sendable (BinanceQuery, MarketData, _ now: Int64) throws(BinanceError) -> BinanceJSON
        ) {
            let server = self.server
            let market = self.market
            let data = self.data
            let clientAddress = self.clientAddress
            router.get(path) { request, context -> Response in
                switch server.faults.current {
                case .status(let status):
                    let remaining = Int(server.faults.remainingSeconds.rounded(.up))
                    return BinanceError.serverFault(status: status, retryAfter: remaining).response()
                case .timeout:
                    await server.faults.waitWhileHanging()
                case .body, nil:
                    break
                }
                let query = BinanceQuery(request.uri.queryParameters)
                let client = clientAddress(request, context)
                let decision = server.limits.admit(market: market, client: client, weight: weight(query))
                var headers = HTTPFields()
                let used: Int
                switch decision {
                case .allowed(let weight), .rateLimited(let weight, _), .banned(let weight, _, _):
                    used = weight
                }
                headers[.mbxUsedWeight1m] = String(used)
                if market == .futures { headers[.mbxUsedWeight] = String(used) }
                switch decision {
                case .allowed:
                    break
                case .rateLimited(_, let retryAfter):
                    return BinanceError.tooManyRequests(ip: client, limit: server.limits.limit(market), retryAfter: retryAfter)
                        .response(headers: headers)
                case .banned(_, let until, let retryAfter):
                    return BinanceError.banned(ip: client, untilMillis: until, retryAfter: retryAfter).response(headers: headers)
                }
                do throws(BinanceError) {
                    let json = try body(query, data, server.state.clock.nowMillis())
                    if case .body(let damage) = server.faults.current {
                        return .damaged(json, damage, headers: headers)
                    }
                    return .binanceJSON(json, headers: headers)
                } catch {
                    return error.response(headers: headers)
                }
            }
        }
    }
}

extension HTTPFields.Element.Name {
    // Literal, valid field names: the initialiser cannot fail for them.
    static let mbxUsedWeight1m = HTTPFields.Element.Name("X-MBX-USED-WEIGHT-1M")!
    static let mbxUsedWeight = HTTPFields.Element.Name("X-MBX-USED-WEIGHT")!
    static let xForwardedFor = HTTPFields.Element.Name("X-Forwarded-For")!
}

/// A request's query parameters, read and validated as Binance validates them.
struct BinanceQuery: Sendable {
    static let symbolRange = "^[A-Z0-9-_.]{1,20}$"
    static let symbolsRange = #"^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$"#
    static let numberRange = "^[0-9]{1,20}$"

    private var values: [String: String] = [:]

    init(_ parameters: some Sequence<(key: Substring, value: Substring)>) {
        for (key, value) in parameters where values[String(key)] == nil {
            values[String(key)] = String(value)
        }
    }

    init(_ values: [String: String]) {
        self.values = values
    }

    /// The raw value; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// A symbol parameter. Futures accepts lower case (`uppercased`), spot does not.
    func symbol(_ name: String = "symbol", required: Bool, uppercased: Bool = false) throws(BinanceError) -> String? {
        guard var value = self[name] else {
            if required { throw .mandatoryParameter(name) }
            return nil
        }
        if uppercased { value = value.uppercased() }
        guard Self.isSymbol(value) else { throw .illegalCharacters(name, legalRange: Self.symbolRange) }
        return value
    }

    /// `symbols=["A","B"]`; nil when absent.
    func symbols() throws(BinanceError) -> [String]? {
        guard let text = self["symbols"] else { return nil }
        guard text.first == "[", text.last == "]" else {
            throw .illegalCharacters("symbols", legalRange: Self.symbolsRange)
        }
        let inner = text.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var result: [String] = []
        for item in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard item.count >= 2, item.first == "\"", item.last == "\"" else {
                throw .illegalCharacters("symbols", legalRange: Self.symbolsRange)
            }
            let symbol = String(item.dropFirst().dropLast())
            guard Self.isSymbol(symbol) else { throw .illegalCharacters("symbols", legalRange: Self.symbolsRange) }
            result.append(symbol)
        }
        return result
    }

    /// A non-negative integer parameter (times, limits); nil when absent.
    func integer(_ name: String) throws(BinanceError) -> Int64? {
        guard let text = self[name] else { return nil }
        guard text.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) else {
            throw .illegalCharacters(name, legalRange: Self.numberRange)
        }
        return value
    }

    /// `limit`, defaulting to `defaultValue`; -1130 outside `1...maximum`.
    func limit(default defaultValue: Int, maximum: Int) throws(BinanceError) -> Int {
        guard let value = try integer("limit") else { return defaultValue }
        guard value >= 1, value <= Int64(maximum) else { throw .invalidParameterValue("limit") }
        return Int(value)
    }

    /// `limit` as the weight table reads it: the value if it is a number, else the default.
    func limitForWeight(default defaultValue: Int) -> Int {
        guard let text = self["limit"], let value = Int(text) else { return defaultValue }
        return value
    }

    /// `startTime` and `endTime`; -1023 when the start is after the end.
    func timeRange() throws(BinanceError) -> (start: Int64?, end: Int64?) {
        let start = try integer("startTime")
        let end = try integer("endTime")
        if let start, let end, start > end { throw .startTimeAfterEndTime }
        return (start, end)
    }

    /// `interval`: one of the intervals the replay data aggregates (1m 5m 15m 1h 4h 1d).
    func interval() throws(BinanceError) -> CandleInterval {
        guard let text = self["interval"] else { throw .mandatoryParameter("interval") }
        guard let interval = CandleInterval(rawValue: text) else { throw .invalidInterval }
        return interval
    }

    static func isSymbol(_ text: String) -> Bool {
        (1...20).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F || byte == 0x2E
            }
    }
}
