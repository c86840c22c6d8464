import Binance
import Core
import Foundation
import REST

/// What Binance says about one market: its symbols and their 24 h tickers.
public struct MarketListing: Sendable {
    public var market: Market
    public var symbols: [ExchangeSymbol]
    public var tickers: [Ticker24h]
}

/// Fetches a market's listing from Binance: two requests per market, each one weight-cheap
/// call for all symbols (spot: exchangeInfo 20 + ticker/24hr 80 of 6,000 per minute;
/// futures: exchangeInfo 1 + ticker/24hr 40 of 2,400), never one request per symbol, each
/// spent from the client's weight budget when it has one (`BinanceBudget`).
public struct BinanceSymbolsSource: Sendable {
    let client: RESTClient
    let spotURL: String
    let futuresURL: String

    /// - Parameters: spotURL, futuresURL: REST base URLs without a trailing slash.
    public init(client: RESTClient, spotURL: String, futuresURL: String) {
        self.client = client
        self.spotURL = spotURL
        self.futuresURL = futuresURL
    }

    /// - Throws: `SymbolsError` (unreachable, server_error, http_error, rate_limited, banned, malformed).
    public func listing(_ market: Market) async throws -> MarketListing {
        let base = market == .spot ? spotURL + "/api/v3" : futuresURL + "/fapi/v1"
        async let info: ExchangeInfo = fetch(
            base + "/exchangeInfo", what: "\(market) exchangeInfo", cost: RequestCost(pool: market.rawValue, weight: RequestWeights.exchangeInfo(market)))
        async let tickers: [Ticker24h] = fetch(
            base + "/ticker/24hr", what: "\(market) 24h tickers", cost: RequestCost(pool: market.rawValue, weight: RequestWeights.tickers24h(market)))
        return MarketListing(market: market, symbols: try await info.symbols, tickers: try await tickers)
    }

    private func fetch<T: Decodable>(_ url: String, what: String, cost: RequestCost) async throws -> T {
        let response: RESTClient.Response
        do {
            response = try await client.get(url, cost: cost)
        } catch let error as RESTError {
            throw SymbolsError.from(error, what: what)
        }
        do {
            return try response.json(T.self)
        } catch let error as RESTError {
            throw SymbolsError(.malformed, "\(what): \(error.detail ?? "\(error)") (body starts \(error.bodySnippet.map { "\($0.prefix(60))" } ?? "empty"))")
        }
    }
}
