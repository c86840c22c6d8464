/// A kline row as read, each decimal at its own number of decimals (fields in the order open,
/// high, low, close, volume, quote volume, taker-buy volume, taker-buy quote volume).
struct RawKline: Sendable {
    var openTime: Int64
    var trades: Int64
    var units: SIMD8<Int64>
    var decimals: SIMD8<UInt8>
    /// 1-based line in its file.
    var line: Int32

    /// The row with every field brought to `target` decimals; nil on overflow.
    func rescaled(to target: SIMD8<UInt8>) -> Kline? {
        var scaled = units
        for index in 0..<8 where decimals[index] != target[index] {
            let (value, overflow) = units[index].multipliedReportingOverflow(by: power10(Int(target[index] - decimals[index])))
            guard !overflow else { return nil }
            scaled[index] = value
        }
        return Kline(openTime: openTime, open: scaled[0], high: scaled[1], low: scaled[2], close: scaled[3], volume: scaled[4],
                     quoteVolume: scaled[5], trades: trades, takerBuyVolume: scaled[6], takerBuyQuoteVolume: scaled[7])
    }
}

extension ArchiveLoader {
    static let columns = [
        "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
        "taker_buy_volume", "taker_buy_quote_volume", "ignore",
    ]

    /// Parses a kline CSV: an optional header row, then 12 comma-separated columns per line.
    /// Timestamps of 16 digits are microseconds and become milliseconds.
    /// - Throws: `ArchiveError.Code.malformedLine` naming `file` and the line.
    static func parseCSV(_ bytes: [UInt8], file: String) throws -> [RawKline] {
        try bytes.withUnsafeBufferPointer { buffer in try parseCSV(buffer, file: file) }
    }

    private static func parseCSV(_ buffer: UnsafeBufferPointer<UInt8>, file: String) throws -> [RawKline] {
        var rows: [RawKline] = []
        rows.reserveCapacity(buffer.count / 80)
        var start = 0
        // A UTF-8 byte-order mark, as some tools write.
        if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { start = 3 }
        var line: Int32 = 0
        while start < buffer.count {
            var end = start
            while end < buffer.count, buffer[end] != 0x0A { end += 1 }
            line += 1
            var lineEnd = end
            if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { start = end + 1 }
            if lineEnd == start { continue }
            if line == 1, !isDigit(buffer[start]) { continue }  // the header row
            rows.append(try parseRow(buffer, start..<lineEnd, line: line, file: file))
        }
        return rows
    }

    private static func parseRow(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int32, file: String) throws -> RawKline {
        func fail(_ detail: String) -> ArchiveError {
            ArchiveError(code: .malformedLine, file: file, line: Int(line), detail: detail)
        }
        var fields: [Range<Int>] = []
        fields.reserveCapacity(12)
        var fieldStart = range.lowerBound
        for index in range where buffer[index] == 0x2C {
            fields.append(fieldStart..<index)
            fieldStart = index + 1
        }
        fields.append(fieldStart..<range.upperBound)
        guard fields.count == 12 else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[range.prefix(60)]), as: UTF8.self)
            throw fail("expected 12 columns, found \(fields.count): \"\(text)\"")
        }
        func text(_ column: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: buffer[fields[column].prefix(40)]), as: UTF8.self)
        }
        func timestamp(_ column: Int) throws -> Int64 {
            guard let (value, digits) = parseInteger(buffer, fields[column]) else {
                throw fail("\(columns[column]) is not an integer: \"\(text(column))\"")
            }
            if digits <= 13 { return value }
            if digits == 16 { return value / 1000 }
            throw fail("\(columns[column]) \"\(text(column))\" is neither milliseconds (13 digits) nor microseconds (16 digits)")
        }
        let openTime = try timestamp(0)
        guard openTime % 60_000 == 0 else { throw fail("open_time \(text(0)) is not on a minute boundary") }
        _ = try timestamp(6)
        guard let (trades, _) = parseInteger(buffer, fields[8]) else { throw fail("count is not an integer: \"\(text(8))\"") }
        var units = SIMD8<Int64>(repeating: 0)
        var decimals = SIMD8<UInt8>(repeating: 0)
        for (slot, column) in [1, 2, 3, 4, 5, 7, 9, 10].enumerated() {
            guard let (value, places) = parseDecimal(buffer, fields[column]) else {
                throw fail("\(columns[column]) is not a decimal: \"\(text(column))\"")
            }
            units[slot] = value
            decimals[slot] = places
        }
        return RawKline(openTime: openTime, trades: trades, units: units, decimals: decimals, line: line)
    }

    /// A non-negative integer and its digit count; nil unless the field is 1...18 digits.
    private static func parseInteger(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (Int64, Int)? {
        guard (1...18).contains(range.count) else { return nil }
        var value: Int64 = 0
        for index in range {
            let byte = buffer[index]
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int64(byte &- 0x30)
        }
        return (value, range.count)
    }

    /// A non-negative plain decimal ("123", "0.1040") as units and decimal places; nil otherwise.
    private static func parseDecimal(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (Int64, UInt8)? {
        var value: Int64 = 0
        var digits = 0
        var places = -1
        for index in range {
            let byte = buffer[index]
            if byte == 0x2E {
                guard places < 0 else { return nil }
                places = 0
                continue
            }
            guard isDigit(byte) else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte &- 0x30))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            digits += 1
            if places >= 0 { places += 1 }
        }
        guard digits > 0, places != 0, places <= 18 else { return nil }
        return (value, UInt8(max(places, 0)))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
