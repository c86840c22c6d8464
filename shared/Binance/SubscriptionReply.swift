/// Binance's answer to a SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS or property request:
/// `{"result":null,"id":1}`.
public struct SubscriptionReply: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        /// SUBSCRIBE, UNSUBSCRIBE, SET_PROPERTY.
        case null
        /// GET_PROPERTY.
        case bool(Bool)
        /// LIST_SUBSCRIPTIONS: the connection's stream names.
        case streams([String])
    }

    /// The request's `id`; nil when Binance answered `"id":null`.
    public var id: Int?
    public var result: Value

    public init(id: Int?, result: Value) {
        self.id = id
        self.result = result
    }
}

/// Binance refusing a request: `{"error":{"code":2,"msg":"Invalid request: …"},"id":1}`
/// (the older `{"code":2,"msg":"…","id":1}` shape is read too).
public struct SubscriptionError: Sendable, Hashable, CustomStringConvertible {
    /// Binance's code: 0 unknown property, 1 invalid value type, 2 invalid request, 3 invalid JSON.
    public var code: Int
    public var message: String
    /// The request's `id`; nil when absent or null (Binance could not read the request).
    public var id: Int?

    public init(code: Int, message: String, id: Int?) {
        self.code = code
        self.message = message
        self.id = id
    }

    public var description: String { "Binance error \(code) for request \(id.map(String.init) ?? "null"): \(message)" }
}
