import Core

/// One market's symbols and their 1m history; immutable after it is built, safe to share.
/// Queries find minutes by index arithmetic (gap-free series) or binary search, never by scanning.
public final class MarketData: Sendable {
    public let market: ReplayMarket
    /// In exchangeInfo order (sorted by symbol).
    public let symbols: [SymbolInfo]
    /// Earliest 1m open time in the data (the default start of the clock); nil when empty.
    public let firstOpenTime: Int64?
    /// Last 1m open time in the data.
    public let lastOpenTime: Int64?

    let series: [String: MarketSeries]
    /// Mark price, funding, open interest and long/short series of a futures market.
    let futuresExtras: FuturesExtras?

    init(market: ReplayMarket, series list: [MarketSeries], futuresExtras: FuturesExtras?) {
        let ordered = list.sorted { $0.info.symbol < $1.info.symbol }
        self.market = market
        self.symbols = ordered.map(\.info)
        self.series = Dictionary(ordered.map { ($0.info.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        self.firstOpenTime = ordered.compactMap { $0.rows.first?.openTime }.min()
        self.lastOpenTime = ordered.compactMap { $0.rows.last?.openTime }.max()
        self.futuresExtras = market == .futures ? futuresExtras : nil
    }

    public func info(_ symbol: String) -> SymbolInfo? { series[symbol]?.info }

    /// The 1m rows of `symbol` (archive values, in the symbol's scales), for building derived data.
    public func rows(_ symbol: String) -> [Kline]? { series[symbol]?.rows }

    /// Loads data.binance.vision kline archives (see `ArchiveLoader`) from folders or single files;
    /// a futures market also gets its derived mark-price, funding, open-interest and long/short series.
    /// - Throws: `ArchiveError` naming the file and line that could not be used.
    public static func load(market: ReplayMarket, directories: [String]) throws -> MarketData {
        let loaded = try ArchiveLoader.load(paths: directories)
        let list = loaded.map { MarketSeries(info: ArchiveLoader.symbolInfo(for: $0, market: market), rows: $0.rows) }
        var extras: FuturesExtras?
        if market == .futures {
            extras = FuturesExtras.derived(
                symbols: list.map(\.info),
                series: Dictionary(list.map { ($0.info.symbol, $0.rows) }, uniquingKeysWith: { first, _ in first }),
                seed: 0
            )
        }
        return MarketData(market: market, series: list, futuresExtras: extras)
    }

    /// N deterministic synthetic symbols from `seed`, with `days` of 1m history ending at `start`
    /// plus enough after it for a session (see `SyntheticMarket`).
    public static func synthetic(market: ReplayMarket, count: Int, seed: UInt64, start: Int64, days: Int) -> MarketData {
        let generated = SyntheticMarket.generate(market: market, count: count, seed: seed, start: start, days: days)
        let list = generated.symbols.map { symbol in
            var info = symbol
            if let scales = generated.scales[symbol.symbol] { info.scales = scales }
            return MarketSeries(info: info, rows: MarketSeries.ordered(generated.series[symbol.symbol] ?? []))
        }
        return MarketData(market: market, series: list, futuresExtras: generated.futures)
    }

    /// One market from several sources (real archives + synthetic). A symbol present in several
    /// parts keeps the first part's series. All parts must be of one market; no parts gives an
    /// empty spot market.
    public static func merged(_ parts: [MarketData]) -> MarketData {
        let market = parts.first?.market ?? .spot
        precondition(parts.allSatisfy { $0.market == market }, "merge parts of one market only")
        var seen = Set<String>()
        var list: [MarketSeries] = []
        for part in parts {
            for info in part.symbols where seen.insert(info.symbol).inserted {
                if let series = part.series[info.symbol] { list.append(series) }
            }
        }
        let extras = parts.compactMap(\.futuresExtras)
        return MarketData(market: market, series: list, futuresExtras: extras.isEmpty ? nil : FuturesExtras.merged(extras))
    }
}

/// One symbol's 1m rows, sorted by open time without duplicates.
struct MarketSeries: Sendable {
    let info: SymbolInfo
    let rows: [Kline]
    /// Every minute from the first row to the last is present, so a minute's index is arithmetic.
    let isContiguous: Bool

    init(info: SymbolInfo, rows: [Kline]) {
        self.info = info
        self.rows = rows
        if let first = rows.first, let last = rows.last {
            isContiguous = (last.openTime - first.openTime) == Int64(rows.count - 1) * 60_000
        } else {
            isContiguous = true
        }
    }

    var scales: KlineScales { info.scales }

    /// `rows` sorted by open time, the first of a repeated open time kept.
    static func ordered(_ rows: [Kline]) -> [Kline] {
        if zip(rows, rows.dropFirst()).allSatisfy({ $0.openTime < $1.openTime }) { return rows }
        var result: [Kline] = []
        for (_, row) in rows.enumerated().sorted(by: { ($0.element.openTime, $0.offset) < ($1.element.openTime, $1.offset) })
        where result.last?.openTime != row.openTime {
            result.append(row)
        }
        return result
    }

    /// Index of the first row with openTime >= `time` (`rows.count` if none).
    func firstIndex(atOrAfter time: Int64) -> Int {
        guard let first = rows.first, let last = rows.last else { return 0 }
        if time <= first.openTime { return 0 }
        if time > last.openTime { return rows.count }
        if isContiguous { return Int((time - first.openTime + 59_999) / 60_000) }
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].openTime < time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Index of the first row with openTime > `time` (`rows.count` if none).
    func firstIndex(after time: Int64) -> Int {
        time == Int64.max ? rows.count : firstIndex(atOrAfter: time + 1)
    }

    /// Index of the row that opened at `openTime`.
    func index(of openTime: Int64) -> Int? {
        let index = firstIndex(atOrAfter: openTime)
        return index < rows.count && rows[index].openTime == openTime ? index : nil
    }
}

/// ⌊value / divisor⌋ for a positive divisor.
func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
}
