/// A JSON value's bytes, `start..<end` in the frame; a string token includes its quotes.
/// 32-bit offsets keep the per-frame token tables small (frames are limited to `maxCount`).
struct Token {
    private var storedStart: Int32
    private var storedEnd: Int32

    @inline(__always) init(start: Int, end: Int) {
        storedStart = Int32(truncatingIfNeeded: start)
        storedEnd = Int32(truncatingIfNeeded: end)
    }

    @inline(__always) var start: Int { Int(storedStart) }
    @inline(__always) var end: Int { Int(storedEnd) }

    static var absent: Token { Token(start: -1, end: -1) }

    @inline(__always) var isPresent: Bool { storedStart >= 0 }
}

/// A strict, allocation-free JSON scanner over one frame's bytes (RFC 8259 syntax; strings
/// are checked for escapes and control characters, not for UTF-8, since only the bytes of
/// fields that are used get converted). Every read is bounds-checked; nesting is limited.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index: Int

    static var maxDepth: Int { 32 }
    /// Longer input is refused as malformed before scanning (tokens hold 32-bit offsets).
    static var maxCount: Int { 1 << 30 }

    init(base: UnsafePointer<UInt8>, count: Int, index: Int = 0) {
        self.base = base
        self.count = count
        self.index = index
    }

    /// The byte at `index`, or 0 (never valid where JSON is expected) past the end.
    @inline(__always) func peek() -> UInt8 { index < count ? base[index] : 0 }

    @inline(__always) subscript(offset: Int) -> UInt8 { base[offset] }

    @inline(__always) mutating func skipWhitespace() {
        while index < count {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    @inline(__always) mutating func expect(_ byte: UInt8) throws(FrameReject) {
        guard peek() == byte else { throw FrameReject(.malformedJSON) }
        index += 1
    }

    /// At a `"`: moves past the closing quote and returns the token, quotes included.
    @inline(__always) mutating func string() throws(FrameReject) -> Token {
        let start = index
        try expect(UInt8(ascii: "\""))
        while index < count {
            let byte = base[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return Token(start: start, end: index) }
            if byte == UInt8(ascii: "\\") {
                try escape()
            } else if byte < 0x20 {
                throw FrameReject(.malformedJSON)
            }
        }
        throw FrameReject(.malformedJSON)
    }

    private mutating func escape() throws(FrameReject) {
        guard index < count else { throw FrameReject(.malformedJSON) }
        let byte = base[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            for _ in 0..<4 {
                guard index < count, Self.hexValue(base[index]) != nil else { throw FrameReject(.malformedJSON) }
                index += 1
            }
        default:
            throw FrameReject(.malformedJSON)
        }
    }

    /// A JSON number token: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    @inline(__always) mutating func number() throws(FrameReject) -> Token {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        let first = peek()
        if first == UInt8(ascii: "0") {
            index += 1
        } else if Self.isDigit(first) {
            skipDigits()
        } else {
            throw FrameReject(.malformedJSON)
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard Self.isDigit(peek()) else { throw FrameReject(.malformedJSON) }
            skipDigits()
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard Self.isDigit(peek()) else { throw FrameReject(.malformedJSON) }
            skipDigits()
        }
        return Token(start: start, end: index)
    }

    @inline(__always) private mutating func skipDigits() {
        while index < count && Self.isDigit(base[index]) { index += 1 }
    }

    private mutating func literal(_ word: StaticString) throws(FrameReject) -> Token {
        let start = index
        let length = word.utf8CodeUnitCount
        guard count - index >= length else { throw FrameReject(.malformedJSON) }
        for offset in 0..<length where base[index + offset] != word.utf8Start[offset] {
            throw FrameReject(.malformedJSON)
        }
        index += length
        return Token(start: start, end: index)
    }

    /// `value(depth:)` with strings and numbers, nearly every value in a frame, inlined.
    @inline(__always) mutating func scalarOrValue(depth: Int) throws(FrameReject) -> Token {
        let first = peek()
        if first == UInt8(ascii: "\"") { return try string() }
        if Self.isDigit(first) || first == UInt8(ascii: "-") { return try number() }
        return try value(depth: depth)
    }

    /// Skips any JSON value, checking its syntax, and returns its token.
    mutating func value(depth: Int) throws(FrameReject) -> Token {
        switch peek() {
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "t"): return try literal("true")
        case UInt8(ascii: "f"): return try literal("false")
        case UInt8(ascii: "n"): return try literal("null")
        case UInt8(ascii: "{"):
            let start = index
            try object(depth: depth) { (scanner: inout JSONScanner, _: Token) throws(FrameReject) in
                _ = try scanner.value(depth: depth + 1)
            }
            return Token(start: start, end: index)
        case UInt8(ascii: "["):
            let start = index
            try array(depth: depth) { (scanner: inout JSONScanner) throws(FrameReject) in
                _ = try scanner.value(depth: depth + 1)
            }
            return Token(start: start, end: index)
        default:
            return try number()
        }
    }

    /// Walks an object: for each member, `member` gets the key token (quotes included) with
    /// the scanner at the start of the value, and must consume the value.
    @inline(__always)
    mutating func object(
        depth: Int, _ member: (inout JSONScanner, Token) throws(FrameReject) -> Void
    ) throws(FrameReject) {
        guard depth < Self.maxDepth else { throw FrameReject(.malformedJSON) }
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            let next = peek()
            index += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "}") { return }
            throw FrameReject(.malformedJSON)
        }
    }

    /// Walks an array: `element` is called with the scanner at each element and must consume it.
    @inline(__always)
    mutating func array(depth: Int, _ element: (inout JSONScanner) throws(FrameReject) -> Void) throws(FrameReject) {
        guard depth < Self.maxDepth else { throw FrameReject(.malformedJSON) }
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            let next = peek()
            index += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "]") { return }
            throw FrameReject(.malformedJSON)
        }
    }

    /// Only whitespace may follow the top-level value.
    mutating func expectEnd() throws(FrameReject) {
        skipWhitespace()
        guard index == count else { throw FrameReject(.malformedJSON) }
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
