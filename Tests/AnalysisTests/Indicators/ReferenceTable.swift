import Core
import Foundation
import TestSupport

/// TA-Lib outputs written by reference/generate.py: a `# source=FILE rows=N ...` line, a header
/// row, then `row,open_time,<columns>` for a sample of the fixture's rows.
struct ReferenceTable {
    /// The fixture file the values were computed from, and how many of its rows.
    let source: String
    let rows: Int
    /// Fixture row index of each sampled line.
    let indices: [Int]
    let openTimes: [Int64]
    let columns: [String: [Double]]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("reference")

    static func load(symbol: String) throws -> ReferenceTable {
        let path = folder.appendingPathComponent("\(symbol).csv").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        guard lines.count > 2, lines[0].hasPrefix("# ") else { throw KlineCSV.Failure(description: "\(path): no comment line") }
        var meta: [String: String] = [:]
        for field in lines[0].dropFirst(2).split(separator: " ") {
            let pair = field.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { meta[String(pair[0])] = String(pair[1]) }
        }
        guard let source = meta["source"], let rows = meta["rows"].flatMap({ Int($0) }) else {
            throw KlineCSV.Failure(description: "\(path): comment line lacks source= or rows=")
        }
        let header = lines[1].split(separator: ",").map(String.init)
        guard header.count > 2, header[0] == "row", header[1] == "open_time" else {
            throw KlineCSV.Failure(description: "\(path): unexpected header")
        }
        var indices: [Int] = []
        var openTimes: [Int64] = []
        var values = [[Double]](repeating: [], count: header.count - 2)
        for line in lines.dropFirst(2) {
            let cells = line.split(separator: ",")
            guard cells.count == header.count, let index = Int(cells[0]), let time = Int64(cells[1]) else {
                throw KlineCSV.Failure(description: "\(path): bad row \(line)")
            }
            indices.append(index)
            openTimes.append(time)
            for c in 2..<cells.count {
                guard let value = Double(cells[c]) else { throw KlineCSV.Failure(description: "\(path): bad value \(cells[c])") }
                values[c - 2].append(value)
            }
        }
        var columns: [String: [Double]] = [:]
        for (name, column) in zip(header.dropFirst(2), values) { columns[name] = column }
        return ReferenceTable(source: source, rows: rows, indices: indices, openTimes: openTimes, columns: columns)
    }

    /// The reference's fixture rows, parsed into candles (`source` names the CSV inside the month's zip).
    func candles(symbol: String) throws -> [Candle] {
        guard source == "\(symbol)-1m-2026-02.csv" else { throw KlineCSV.Failure(description: "unexpected source \(source)") }
        return try KlineCSV.parse(try Fixtures.futuresMonth(symbol), symbol: symbol, limit: rows)
    }
}

/// A fixture's candles with their TA-Lib reference, loaded once per test process.
struct ReferenceFixture: Sendable {
    let reference: ReferenceTable
    let candles: [Candle]

    static func named(_ symbol: String) throws -> ReferenceFixture {
        switch symbol {
        case "LINKUSDT": try link.get()
        case "NEARUSDT": try near.get()
        default: try load(symbol)
        }
    }

    private static let link = Result { try load("LINKUSDT") }
    private static let near = Result { try load("NEARUSDT") }

    private static func load(_ symbol: String) throws -> ReferenceFixture {
        let reference = try ReferenceTable.load(symbol: symbol)
        return ReferenceFixture(reference: reference, candles: try reference.candles(symbol: symbol))
    }
}
