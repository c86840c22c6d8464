import CandleStore
import Core
import Foundation
import Hummingbird
import Postgres
import Schema
import Synchronization

/// The REST endpoints that read PostgreSQL: version, symbols and their history, candles.
/// Every answer is JSON with snake_case keys; prices and volumes are exact decimal strings,
/// times Unix milliseconds.
struct APIRoutes: Sendable {
    let postgres: PostgresPool

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/v1/version") { _, _ in try await version() }
        router.get("api/v1/symbols") { request, _ in try await symbols(request) }
        router.get("api/v1/symbols/history") { request, _ in try await history(request) }
        router.get("api/v1/candles/:market/:symbol") { request, context in try await candles(request, context) }
    }

    // MARK: - Version

    struct Version: Encodable {
        var name = "alphapulse"
        var version: String
        var api = "v1"
        var schema: Int
    }

    func version() async throws -> Response {
        let schema = try await postgres.query("SELECT coalesce(max(version), 0)::bigint FROM schema_migrations").first?.decode(0, as: Int.self) ?? 0
        return try JSONResponse.make(Version(version: AlphaPulseVersion.current, schema: schema))
    }

    // MARK: - Symbols

    struct Symbol: Encodable {
        var market: String
        var symbol: String
        var baseAsset: String
        var rank: Int
        var quoteVolume24h: String
        var lastPrice: String
        var priceChangePct: String
        var updatedAt: Int64

        enum CodingKeys: String, CodingKey {
            case market, symbol, baseAsset, rank, lastPrice, priceChangePct, updatedAt
            case quoteVolume24h = "quote_volume_24h"
        }
    }

    struct SymbolList: Encodable {
        var version: Int64
        var count: Int
        var symbols: [Symbol]
    }

    func symbols(_ request: Request) async throws -> Response {
        let market = try Parameters(request).market("market")
        // One statement, one snapshot: the list and the version it belongs to (the hot path: a
        // prepared statement, one round trip).
        let rows = try await postgres.query(prepared: """
            SELECT market, symbol, base_asset, rank, quote_volume_24h::text, last_price::text, price_change_pct::text,
                   (extract(epoch FROM updated_at) * 1000)::bigint, (SELECT coalesce(max(version), 0) FROM symbol_list_versions)::bigint
            FROM tracked_symbols WHERE is_active AND (\(market?.rawValue)::text IS NULL OR market = \(market?.rawValue))
            ORDER BY market, rank
            """)
        let list = try rows.map { row in
            Symbol(market: try row.decode(0), symbol: try row.decode(1), baseAsset: try row.decode(2), rank: try row.decode(3),
                   quoteVolume24h: try row.decode(4), lastPrice: try row.decode(5), priceChangePct: try row.decode(6), updatedAt: try row.decode(7))
        }
        var version: Int64 = 0
        if let first = rows.first {
            version = try first.decode(8, as: Int64.self)
        } else if let row = try await postgres.query("SELECT coalesce(max(version), 0)::bigint FROM symbol_list_versions").first {
            version = try row.decode(0, as: Int64.self)
        }
        return try JSONResponse.make(SymbolList(version: version, count: list.count, symbols: list))
    }

    struct Change: Codable {
        var market: String
        var symbol: String
    }

    struct ListVersion: Encodable {
        var version: Int64
        var changedAt: Int64
        var added: [Change]
        var removed: [Change]
    }

    struct History: Encodable {
        var versions: [ListVersion]
        /// Pass as `before` for the next (older) page; null on the last page.
        var nextBefore: Int64?

        enum CodingKeys: String, CodingKey { case versions, nextBefore }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(versions, forKey: .versions)
            try container.encode(nextBefore, forKey: .nextBefore)  // null, not absent, on the last page
        }
    }

    /// The list's versions, newest first, `limit` (default 50, at most 500) per page.
    func history(_ request: Request) async throws -> Response {
        let parameters = try Parameters(request)
        let limit = try parameters.integer("limit", default: 50, in: 1...500)
        let before = try parameters.integer("before", default: Int.max, in: 1...Int.max)
        let rows = try await postgres.query("""
            SELECT version, (extract(epoch FROM changed_at) * 1000)::bigint, added::text, removed::text
            FROM symbol_list_versions WHERE version < \(Int64(before)) ORDER BY version DESC LIMIT \(Int64(limit + 1))
            """)
        let decoder = JSONDecoder()
        var versions = try rows.prefix(limit).map { row in
            ListVersion(
                version: try row.decode(0), changedAt: try row.decode(1),
                added: try decoder.decode([Change].self, from: Data(try row.decode(2, as: String.self).utf8)),
                removed: try decoder.decode([Change].self, from: Data(try row.decode(3, as: String.self).utf8)))
        }
        versions.sort { $0.version > $1.version }
        return try JSONResponse.make(History(versions: versions, nextBefore: rows.count > limit ? versions.last?.version : nil))
    }

    // MARK: - Candles

    struct CandleItem: Encodable {
        var openTime: Int64
        var closeTime: Int64
        var open: String
        var high: String
        var low: String
        var close: String
        var volume: String
        var quoteVolume: String
        var trades: Int64
        var takerBuyVolume: String
        var takerBuyQuoteVolume: String
        var source: String
    }

    struct CandlePage: Encodable {
        var market: String
        var symbol: String
        var interval: String
        var candles: [CandleItem]
        /// Pass as `from` for the next page; null when this page reached `to`.
        var nextFrom: Int64?

        enum CodingKeys: String, CodingKey { case market, symbol, interval, candles, nextFrom }

        /// The page as `JSONResponse.make` would write it (sorted snake_case keys), written by
        /// hand: up to 1,000 candles of 12 fields is the API's largest answer, and
        /// JSONEncoder took most of the gateway's CPU on it.
        var json: String {
            var out = "{\"candles\":["
            out.reserveCapacity(64 + candles.count * 300)
            for (index, candle) in candles.enumerated() {
                if index > 0 { out += "," }
                out += "{\"close\":" + JSONResponse.quoted(candle.close)
                out += ",\"close_time\":" + String(candle.closeTime)
                out += ",\"high\":" + JSONResponse.quoted(candle.high)
                out += ",\"low\":" + JSONResponse.quoted(candle.low)
                out += ",\"open\":" + JSONResponse.quoted(candle.open)
                out += ",\"open_time\":" + String(candle.openTime)
                out += ",\"quote_volume\":" + JSONResponse.quoted(candle.quoteVolume)
                out += ",\"source\":" + JSONResponse.quoted(candle.source)
                out += ",\"taker_buy_quote_volume\":" + JSONResponse.quoted(candle.takerBuyQuoteVolume)
                out += ",\"taker_buy_volume\":" + JSONResponse.quoted(candle.takerBuyVolume)
                out += ",\"trades\":" + String(candle.trades)
                out += ",\"volume\":" + JSONResponse.quoted(candle.volume) + "}"
            }
            out += "],\"interval\":" + JSONResponse.quoted(interval)
            out += ",\"market\":" + JSONResponse.quoted(market)
            out += ",\"next_from\":" + (nextFrom.map { String($0) } ?? "null")
            out += ",\"symbol\":" + JSONResponse.quoted(symbol) + "}"
            return out
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(market, forKey: .market)
            try container.encode(symbol, forKey: .symbol)
            try container.encode(interval, forKey: .interval)
            try container.encode(candles, forKey: .candles)
            try container.encode(nextFrom, forKey: .nextFrom)  // null, not absent, on the last page
        }
    }

    /// Candles of one symbol and interval opening in [from, to), oldest first, `limit`
    /// (default 500, at most 1,000) per page.
    func candles(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let parameters = try Parameters(request)
        let market = try Parameters.market(path: context.parameters.get("market"))
        let symbol = try Parameters.symbol(context.parameters.get("symbol") ?? "")
        let intervalText = parameters.string("interval") ?? "1m"
        guard let interval = CandleInterval(rawValue: intervalText) else {
            throw Problem.badParameter("interval", "interval must be one of \(CandleInterval.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let limit = try parameters.integer("limit", default: 500, in: 1...1_000)
        let to = Int64(try parameters.integer("to", default: Parameters.maxMillis, in: 0...Parameters.maxMillis))
        let from = Int64(try parameters.integer("from", default: 0, in: 0...Parameters.maxMillis))
        // An empty [from, to) is an empty last page, not an error.
        let rows = from >= to ? [] : try await CandleStore(postgres: postgres).candles(
            market: market, symbol: symbol, interval: interval, from: from, to: to, limit: limit + 1)
        if rows.isEmpty {
            let known = try await postgres.query("""
                SELECT EXISTS (SELECT 1 FROM tracked_symbols WHERE market = \(market.rawValue) AND symbol = \(symbol))
                    OR EXISTS (SELECT 1 FROM candles WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = '1m')
                """).first?.decode(0, as: Bool.self) ?? false
            guard known else { throw Problem.notFound("no \(market.rawValue) symbol \(symbol) is tracked or stored") }
        }
        let candles = rows.prefix(limit).map { row in
            CandleItem(
                openTime: row.openTime, closeTime: row.closeTime, open: row.open, high: row.high, low: row.low, close: row.close,
                volume: row.volume, quoteVolume: row.quoteVolume, trades: row.trades, takerBuyVolume: row.takerBuyVolume,
                takerBuyQuoteVolume: row.takerBuyQuoteVolume, source: row.source.rawValue)
        }
        let next = rows.count > limit ? candles.last.map { $0.openTime + 1 } : nil
        return JSONResponse.make(json: CandlePage(market: market.rawValue, symbol: symbol, interval: interval.rawValue, candles: candles, nextFrom: next).json)
    }
}

/// JSON answers: snake_case keys, sorted, `application/json`.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An answer already encoded (a hot path that writes its JSON by hand).
    static func make(json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    /// Foundation's `.convertToSnakeCase` re-converts every key of every object (the gateway's
    /// hottest cost under load, by perf); the same conversion, remembered per key name.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in
            let name = path.last?.stringValue ?? ""
            if let known = snakeCase.withLock({ $0[name] }) { return SnakeKey(stringValue: known) }
            let converted = convert(name)
            snakeCase.withLock { cache in if cache.count < 10_000 { cache[name] = converted } }
            return SnakeKey(stringValue: converted)
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    private static let snakeCase = Mutex<[String: String]>([:])

    struct SnakeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `quoteVolume24h` → `quote_volume24h`, `lastFrameAgeMs` → `last_frame_age_ms`: an
    /// underscore before each upper-case letter that follows a lower-case one or a digit, as
    /// Foundation's strategy does for these names; keys already snake_case stay.
    static func convert(_ name: String) -> String {
        var result = ""
        result.reserveCapacity(name.utf8.count + 4)
        var previous: Character?
        for character in name {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber {
                result.append("_")
            }
            result.append(contentsOf: character.lowercased())
            previous = character
        }
        return result
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A request's query parameters, checked: a wrong one is a 400 naming it.
struct Parameters {
    let query: [String: String]

    init(_ request: Request) throws {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard query[name] == nil else { throw Problem.badParameter(name, "\(name) is given more than once") }
            query[name] = String(value)
        }
        self.query = query
    }

    /// The latest time any parameter may name: year 3000, Unix ms.
    static let maxMillis = 32_503_680_000_000

    func string(_ name: String) -> String? { query[name] }

    func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = query[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw Problem.badParameter(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func market(_ name: String) throws -> Market? {
        guard let text = query[name] else { return nil }
        guard let market = Market(rawValue: text) else { throw Problem.badParameter(name, "\(name) must be spot or futures") }
        return market
    }

    /// A market named in the path.
    static func market(path text: String?) throws -> Market {
        guard let text, let market = Market(rawValue: text) else { throw Problem.badParameter("market", "market must be spot or futures") }
        return market
    }

    /// A Binance symbol: 2–30 upper-case letters and digits.
    static func symbol(_ text: String) throws -> String {
        guard (2...30).contains(text.utf8.count), text.utf8.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) }) else {
            throw Problem.badParameter("symbol", "symbol must be 2 to 30 upper-case letters and digits, as Binance spells it")
        }
        return text
    }
}
