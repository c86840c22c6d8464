/// Replies to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / property requests. Rare frames,
/// so clarity wins over speed here.
extension FrameParser {
    static func reply(_ scanner: JSONScanner, _ envelope: EnvelopeTokens) throws(FrameReject) -> BinanceFrame {
        let id = try requestID(scanner, envelope.id)
        if envelope.error.isPresent {
            guard scanner[envelope.error.start] == UInt8(ascii: "{") else { throw FrameReject(.wrongType, field: "error") }
            var code = Token.absent
            var message = Token.absent
            var nested = JSONScanner(base: scanner.base, count: envelope.error.end, index: envelope.error.start)
            try nested.object(depth: 1) { (nested: inout JSONScanner, key: Token) throws(FrameReject) in
                let value = try nested.value(depth: 2)
                let name = (start: key.start + 1, end: key.end - 1)
                if nested.equal(name, "code") {
                    try capture(&code, value, "error.code")
                } else if nested.equal(name, "msg") {
                    try capture(&message, value, "error.msg")
                }
            }
            return .subscriptionError(SubscriptionError(
                code: Int(try scanner.integer(code, "error.code")),
                message: try scanner.decodedString(message, "error.msg"),
                id: id
            ))
        }
        if !envelope.result.isPresent {
            return .subscriptionError(SubscriptionError(
                code: Int(try scanner.integer(envelope.code, "code")),
                message: try scanner.decodedString(envelope.msg, "msg"),
                id: id
            ))
        }
        guard envelope.id.isPresent else { throw FrameReject(.missingField, field: "id") }
        let result = envelope.result
        switch scanner[result.start] {
        case UInt8(ascii: "n"):
            return .subscriptionReply(SubscriptionReply(id: id, result: .null))
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .subscriptionReply(SubscriptionReply(id: id, result: .bool(try scanner.boolean(result, "result"))))
        case UInt8(ascii: "["):
            var streams: [String] = []
            var nested = JSONScanner(base: scanner.base, count: result.end, index: result.start)
            try nested.array(depth: 1) { (nested: inout JSONScanner) throws(FrameReject) in
                let element = try nested.value(depth: 2)
                streams.append(try nested.decodedString(element, "result"))
            }
            return .subscriptionReply(SubscriptionReply(id: id, result: .streams(streams)))
        default:
            throw FrameReject(.wrongType, field: "result")
        }
    }

    /// `id`: an integer, or null / absent (nil).
    private static func requestID(_ scanner: JSONScanner, _ token: Token) throws(FrameReject) -> Int? {
        guard token.isPresent, scanner[token.start] != UInt8(ascii: "n") else { return nil }
        guard scanner[token.start] != UInt8(ascii: "\"") else { throw FrameReject(.wrongType, field: "id") }
        return Int(try scanner.integer(token, "id"))
    }
}
