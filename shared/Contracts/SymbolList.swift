import Core
import Foundation

/// The `symbols` string: the tracked list as JSON, written by the symbols service after each
/// refresh that stored a list.
///
/// `{"_v":2,"version":3,"refreshed_at":"2026-02-02T00:05:00Z","futures":[…],"spot":[…]}`, each
/// entry a `TrackedSymbol` (`symbol`, `base_asset`, `rank`, `quote_volume_24h`, `last_price`,
/// `price_change_pct`, `market`) in rank order. `version` counts changes of the set
/// (`symbol_list_versions`); `_v` is the schema version (absent: 1, the same keys).
public struct SymbolList: Sendable, Codable, Equatable {
    public var version: Int64
    public var refreshedAt: String
    public var futures: [TrackedSymbol]
    public var spot: [TrackedSymbol]

    public init(version: Int64, refreshedAt: String, futures: [TrackedSymbol], spot: [TrackedSymbol]) {
        self.version = version
        self.refreshedAt = refreshedAt
        self.futures = futures
        self.spot = spot
    }

    /// A list of bare symbol names, ranked in the order given, without market figures: for
    /// tools and tests that publish a list of their own.
    public static func ranked(version: Int64, refreshedAt: String, futures: [String], spot: [String]) -> SymbolList {
        func entries(_ market: Market, _ names: [String]) -> [TrackedSymbol] {
            names.enumerated().map { index, name in
                TrackedSymbol(
                    market: market, symbol: name, baseAsset: name.hasSuffix("USDT") ? String(name.dropLast(4)) : name, rank: index + 1,
                    quoteVolume24h: "0", lastPrice: "0", priceChangePercent: "0")
            }
        }
        return SymbolList(version: version, refreshedAt: refreshedAt, futures: entries(.futures, futures), spot: entries(.spot, spot))
    }

    /// The symbol names per market.
    public var symbols: [Market: Set<String>] {
        [.futures: Set(futures.map(\.symbol)), .spot: Set(spot.map(\.symbol))]
    }

    enum CodingKeys: String, CodingKey {
        case schema = "_v"
        case version, futures, spot
        case refreshedAt = "refreshed_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        _ = try SchemaVersion.check(try container.decodeIfPresent(Int.self, forKey: .schema).map(String.init))
        version = try container.decode(Int64.self, forKey: .version)
        refreshedAt = try container.decode(String.self, forKey: .refreshedAt)
        futures = try container.decode([TrackedSymbol].self, forKey: .futures)
        spot = try container.decode([TrackedSymbol].self, forKey: .spot)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SchemaVersion.current, forKey: .schema)
        try container.encode(version, forKey: .version)
        try container.encode(refreshedAt, forKey: .refreshedAt)
        try container.encode(futures, forKey: .futures)
        try container.encode(spot, forKey: .spot)
    }

    /// The document's JSON bytes.
    public func encoded() -> [UInt8] { ContractJSON.encode(self) }

    /// - Throws: `ContractError` `.malformed` (or `.unsupportedVersion`) when the bytes are not
    ///   the documented JSON.
    public static func decode(_ bytes: [UInt8]) throws(ContractError) -> SymbolList {
        try ContractJSON.decode(SymbolList.self, bytes)
    }
}

/// A `symbols:changed` message: published only when the set changed, after the cache holds that
/// version (both in one MULTI/EXEC).
///
/// `{"_v":2,"version":3,"changed_at":"…","added":[{"market":"spot","symbol":"XUSDT"}],"removed":[…]}`
public struct SymbolListChange: Sendable, Codable, Equatable {
    public var version: Int64
    public var changedAt: String
    public var added: [MarketSymbol]
    public var removed: [MarketSymbol]

    public init(version: Int64, changedAt: String, added: [MarketSymbol], removed: [MarketSymbol]) {
        self.version = version
        self.changedAt = changedAt
        self.added = added
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case schema = "_v"
        case version, added, removed
        case changedAt = "changed_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        _ = try SchemaVersion.check(try container.decodeIfPresent(Int.self, forKey: .schema).map(String.init))
        version = try container.decode(Int64.self, forKey: .version)
        changedAt = try container.decode(String.self, forKey: .changedAt)
        added = try container.decode([MarketSymbol].self, forKey: .added)
        removed = try container.decode([MarketSymbol].self, forKey: .removed)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SchemaVersion.current, forKey: .schema)
        try container.encode(version, forKey: .version)
        try container.encode(changedAt, forKey: .changedAt)
        try container.encode(added, forKey: .added)
        try container.encode(removed, forKey: .removed)
    }

    public func encoded() -> [UInt8] { ContractJSON.encode(self) }

    public static func decode(_ bytes: [UInt8]) throws(ContractError) -> SymbolListChange {
        try ContractJSON.decode(SymbolListChange.self, bytes)
    }
}

/// The one JSON setup for contract documents.
enum ContractJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Contract values hold only strings and integers: encoding cannot fail.
        return Array(try! encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws(ContractError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as ContractError {
            throw error
        } catch {
            throw ContractError(.malformed, "not a \(T.self) document: \(String(describing: error).prefix(200))")
        }
    }
}
