import CandleStore
import Core
import Foundation
import Postgres
import Schema
import TestSupport

/// Runs `body` with a store over a fresh, migrated schema of its own, dropped afterwards.
func withStore<T: Sendable>(_ name: String = #function, connections: Int = 2, _ body: (CandleStore) async throws -> T) async throws -> T {
    let base = try PostgresConfiguration(url: try TestEnvironment.databaseURL())
    let schema = TestEnvironment.uniqueName("candles_" + name)
    let admin = try await PostgresConnection.connect(base)
    try await admin.execute("CREATE SCHEMA \(identifier: schema)")
    var configuration = base
    configuration.searchPath = [schema]
    let pool = PostgresPool(configuration: configuration, options: .init(minimumConnections: 0, maximumConnections: connections))
    do {
        try await Schema.migrator().migrate(pool)
        let result = try await body(CandleStore(postgres: pool))
        await pool.close()
        try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
        return result
    } catch {
        await pool.close()
        _ = try? await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
        throw error
    }
}

/// A temporary folder, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("candlestore-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// The LINKUSDT futures month, read independently of the code under test: each data line
/// split into its 12 text fields.
enum LinkArchive {
    static let symbol = "LINKUSDT"
    /// The month as Binance serves it: `LINKUSDT-1m-2026-02.zip` holding the CSV.
    static var path: String { Fixtures.futuresArchive(symbol) }
    /// 2026-02-01 00:00 UTC.
    static let monthStart: Int64 = 1_769_904_000_000
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    static let minute: Int64 = 60_000

    static func text() throws -> String { try Fixtures.futuresMonth(symbol) }

    /// Every data row's fields, in file order.
    static func lines() throws -> [[String]] {
        try text().split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The rows of the first `days` days.
    static func lines(days: Int) throws -> [[String]] {
        let end = monthStart + Int64(days) * day
        return try lines().filter { Int64($0[0])! < end }
    }

    /// A CSV file of `lines` (with header), as Binance writes it.
    static func file(_ lines: [[String]], header: Bool = true) -> String {
        (header ? KlineCSV.header + "\n" : "") + lines.map { $0.joined(separator: ",") + "\n" }.joined()
    }
}

/// The expected derived candles of `interval` from 1m archive rows: only complete buckets,
/// aggregated with exact fixed-point decimal arithmetic, rendered as archive CSV rows.
func referenceRollup(_ lines: [[String]], interval: CandleInterval) -> [Int64: String] {
    let minutes = Int(interval.milliseconds / 60_000)
    var buckets: [Int64: [[String]]] = [:]
    for line in lines {
        let openTime = Int64(line[0])!
        buckets[openTime - openTime % interval.milliseconds, default: []].append(line)
    }
    var result: [Int64: String] = [:]
    for (start, rows) in buckets where Set(rows.map { $0[0] }).count == minutes {
        let sorted = rows.sorted { Int64($0[0])! < Int64($1[0])! }
        result[start] = KlineCSV.row(
            openTime: start, open: sorted.first![1],
            high: sorted.map { $0[2] }.max(by: { ExactDecimal($0) < ExactDecimal($1) })!,
            low: sorted.map { $0[3] }.min(by: { ExactDecimal($0) < ExactDecimal($1) })!,
            close: sorted.last![4], volume: ExactDecimal.sum(sorted.map { $0[5] }),
            closeTime: start + interval.milliseconds - 1, quoteVolume: ExactDecimal.sum(sorted.map { $0[7] }),
            trades: sorted.reduce(0) { $0 + Int64($1[8])! },
            takerBuyVolume: ExactDecimal.sum(sorted.map { $0[9] }), takerBuyQuoteVolume: ExactDecimal.sum(sorted.map { $0[10] }))
    }
    return result
}

/// A decimal as an integer count of 10^-scale, for exact sums and comparisons in tests.
struct ExactDecimal: Comparable {
    var units: Int128
    var scale: Int

    init(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        scale = parts.count > 1 ? parts[1].count : 0
        units = Int128(parts.joined())!
    }

    init(units: Int128, scale: Int) {
        self.units = units
        self.scale = scale
    }

    func rescaled(to newScale: Int) -> Int128 {
        var value = units
        for _ in scale..<newScale { value *= 10 }
        return value
    }

    static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.rescaled(to: scale) < rhs.rescaled(to: scale)
    }

    static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.rescaled(to: scale) == rhs.rescaled(to: scale)
    }

    /// The sum written with the largest scale among the terms (as PostgreSQL's numeric sum does).
    static func sum(_ texts: [String]) -> String {
        let values = texts.map(ExactDecimal.init)
        let scale = values.map(\.scale).max() ?? 0
        return ExactDecimal(units: values.reduce(0) { $0 + $1.rescaled(to: scale) }, scale: scale).text
    }

    var text: String {
        let negative = units < 0
        var digits = String(negative ? -units : units)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }
}

/// Every stored candle of `interval` for LINKUSDT, keyed by open time, as CSV rows.
func storedRows(_ store: CandleStore, _ interval: CandleInterval) async throws -> [Int64: String] {
    let rows = try await store.candles(market: .futures, symbol: LinkArchive.symbol, interval: interval, from: 0, to: 4_000_000_000_000)
    return Dictionary(uniqueKeysWithValues: rows.map { ($0.openTime, $0.csvRow) })
}

/// Asserts-by-return: the intervals whose stored candles differ from the reference of `lines`.
func rollupMismatches(_ store: CandleStore, _ lines: [[String]]) async throws -> [String] {
    var problems: [String] = []
    for interval in CandleStore.derivedIntervals {
        let expected = referenceRollup(lines, interval: interval)
        let stored = try await storedRows(store, interval)
        if stored.count != expected.count {
            problems.append("\(interval.rawValue): \(stored.count) stored, \(expected.count) complete buckets")
        }
        for (openTime, row) in expected.sorted(by: { $0.key < $1.key }) where stored[openTime] != row {
            problems.append("\(interval.rawValue) \(openTime): stored \(stored[openTime] ?? "nothing"), expected \(row)")
            if problems.count > 20 { return problems }
        }
    }
    return problems
}
