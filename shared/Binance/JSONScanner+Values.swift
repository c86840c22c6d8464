/// Reading typed values out of tokens, with a distinct reject reason for each failure.
extension JSONScanner {
    enum DecimalKind {
        /// Must not be negative: `negative_price`.
        case price
        /// Must not be negative: `negative_volume`.
        case volume
        /// May be negative (funding rate).
        case signed
    }

    /// Kline and event times and trade IDs stay below 2^50 ms (year 37,000), so adding an
    /// interval can never overflow.
    static var maxInteger: Int64 { 1 << 50 }

    @inline(__always) func required(_ token: Token, _ field: String) throws(FrameReject) -> Token {
        guard token.isPresent else { throw FrameReject(.missingField, field: field) }
        return token
    }

    /// The bytes of a number, written bare or inside a string; `wrong_type` for anything else.
    @inline(__always) func numberText(_ token: Token, _ field: String) throws(FrameReject) -> (start: Int, end: Int) {
        let first = base[token.start]
        if first == UInt8(ascii: "\"") { return (token.start + 1, token.end - 1) }
        guard first == UInt8(ascii: "-") || Self.isDigit(first) else { throw FrameReject(.wrongType, field: field) }
        return (token.start, token.end)
    }

    /// An integer in `-2^50...2^50`, bare or as a string.
    @inline(__always) func integer(_ token: Token, _ field: String) throws(FrameReject) -> Int64 {
        let (start, end) = try numberText(required(token, field), field)
        var index = start
        var negative = false
        if index < end && base[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < end, end - index <= 16 else { throw FrameReject(.badNumber, field: field) }
        var value: Int64 = 0
        while index < end {
            let digit = base[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw FrameReject(.badNumber, field: field) }
            value = value * 10 + Int64(digit)
            index += 1
        }
        guard value <= Self.maxInteger else { throw FrameReject(.badNumber, field: field) }
        return negative ? -value : value
    }

    /// An integer that must not be negative (times, trade counts).
    @inline(__always) func nonNegative(_ token: Token, _ field: String) throws(FrameReject) -> Int64 {
        let value = try integer(token, field)
        guard value >= 0 else { throw FrameReject(.badNumber, field: field) }
        return value
    }

    /// A decimal, keeping its exact text.
    @inline(__always) func decimal(_ token: Token, _ field: String, _ kind: DecimalKind) throws(FrameReject) -> ExactDecimal {
        let (start, end) = try numberText(required(token, field), field)
        switch DecimalText.parse(base + start, end - start) {
        case .number(let value, let negative):
            if negative {
                if kind == .price { throw FrameReject(.negativePrice, field: field) }
                if kind == .volume { throw FrameReject(.negativeVolume, field: field) }
            }
            return ExactDecimal(uncheckedText: text(start, end), value: value)
        case .notFinite:
            throw FrameReject(.nanPrice, field: field)
        case .invalid:
            throw FrameReject(.badNumber, field: field)
        }
    }

    @inline(__always) func boolean(_ token: Token, _ field: String) throws(FrameReject) -> Bool {
        switch base[try required(token, field).start] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw FrameReject(.wrongType, field: field)
        }
    }

    /// The content bytes of a string token (between the quotes); `wrong_type` otherwise.
    @inline(__always) func stringContent(_ token: Token, _ field: String) throws(FrameReject) -> (start: Int, end: Int) {
        guard base[try required(token, field).start] == UInt8(ascii: "\"") else { throw FrameReject(.wrongType, field: field) }
        return (token.start + 1, token.end - 1)
    }

    /// A symbol's content bytes: 1–32 of `A-Z 0-9 _`, or UTF-8 (Binance lists a few symbols
    /// in Chinese); `bad_symbol` otherwise.
    @inline(__always) func symbol(_ token: Token, _ field: String) throws(FrameReject) -> (start: Int, end: Int) {
        let (start, end) = try stringContent(token, field)
        guard end > start, end - start <= 32 else { throw FrameReject(.badSymbol, field: field) }
        var ascii = true
        for index in start..<end {
            let byte = base[index]
            if byte >= 0x80 {
                ascii = false
            } else if !(Self.isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")) {
                throw FrameReject(.badSymbol, field: field)
            }
        }
        if !ascii && String(validating: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self) == nil {
            throw FrameReject(.badSymbol, field: field)
        }
        return (start, end)
    }

    /// Whether two byte ranges are equal.
    @inline(__always) func equal(_ a: (start: Int, end: Int), _ b: (start: Int, end: Int)) -> Bool {
        guard a.end - a.start == b.end - b.start else { return false }
        var offset = 0
        while offset < a.end - a.start {
            if base[a.start + offset] != base[b.start + offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether the content of `range` is `word`.
    @inline(__always) func equal(_ range: (start: Int, end: Int), _ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard range.end - range.start == length else { return false }
        for offset in 0..<length where base[range.start + offset] != word.utf8Start[offset] { return false }
        return true
    }

    /// A String of bytes already validated as ASCII or UTF-8.
    @inline(__always) func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
    }

    /// Decodes a JSON string token (escapes, `\u` surrogate pairs; invalid UTF-8 is repaired
    /// with U+FFFD). For rare, non-hot-path text such as error messages.
    func decodedString(_ token: Token, _ field: String) throws(FrameReject) -> String {
        let (start, end) = try stringContent(token, field)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(end - start)
        var index = start
        var pendingHighSurrogate: UInt32?
        func append(scalar value: UInt32) {
            Unicode.UTF8.encode(Unicode.Scalar(value) ?? "\u{FFFD}") { bytes.append($0) }
        }
        func flush() {
            if let high = pendingHighSurrogate { append(scalar: high) }  // a lone surrogate: U+FFFD
            pendingHighSurrogate = nil
        }
        while index < end {
            let byte = base[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                flush()
                bytes.append(byte)
                continue
            }
            let escaped = base[index]
            index += 1
            guard escaped == UInt8(ascii: "u") else {
                flush()
                switch escaped {
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                default: bytes.append(escaped)  // \" \\ \/
                }
                continue
            }
            var unit: UInt32 = 0
            for offset in 0..<4 { unit = unit << 4 | (Self.hexValue(base[index + offset]) ?? 0) }
            index += 4
            if let high = pendingHighSurrogate, (0xDC00...0xDFFF).contains(unit) {
                append(scalar: 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00))
                pendingHighSurrogate = nil
                continue
            }
            flush()
            if (0xD800...0xDBFF).contains(unit) { pendingHighSurrogate = unit } else { append(scalar: unit) }
        }
        flush()
        return String(decoding: bytes, as: UTF8.self)
    }
}
