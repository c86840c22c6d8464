/// A request sent on a market-data connection: `{"method":"SUBSCRIBE","params":[…],"id":N}`.
public struct SubscriptionRequest: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        case subscribe = "SUBSCRIBE"
        case unsubscribe = "UNSUBSCRIBE"
        case listSubscriptions = "LIST_SUBSCRIPTIONS"
    }

    public var method: Method
    public var streams: [StreamName]
    /// Echoed in Binance's reply (`SubscriptionReply.id`); unique per connection.
    public var id: Int

    public init(method: Method, streams: [StreamName], id: Int) {
        self.method = method
        self.streams = streams
        self.id = id
    }

    /// The JSON text to send. Stream names hold no characters that need escaping.
    public var json: String {
        var text = #"{"method":""# + method.rawValue + #"""#
        if method != .listSubscriptions {
            text += #","params":["#
            for (index, stream) in streams.enumerated() {
                if index > 0 { text += "," }
                text += "\"" + stream.description + "\""
            }
            text += "]"
        }
        return text + #","id":"# + String(id) + "}"
    }

    /// Splits `streams` into as few requests as the limits allow (`streamsPerMessage` names
    /// and `maxMessageBytes` of JSON each), numbered from `nextID`, which is advanced.
    public static func batches(
        _ method: Method, streams: [StreamName], limits: ConnectionLimits, nextID: inout Int
    ) -> [SubscriptionRequest] {
        var requests: [SubscriptionRequest] = []
        var current: [StreamName] = []
        var bytes = 0
        func flush() {
            guard !current.isEmpty else { return }
            requests.append(SubscriptionRequest(method: method, streams: current, id: nextID))
            nextID += 1
            current = []
        }
        for stream in streams {
            // {"method":"…","params":[],"id":N} with up to 19 digits of id.
            let envelope = 50 + method.rawValue.utf8.count
            let cost = stream.description.utf8.count + 3  // quotes and comma
            if !current.isEmpty && (current.count >= limits.streamsPerMessage || envelope + bytes + cost > limits.maxMessageBytes) {
                flush()
            }
            if current.isEmpty { bytes = 0 }
            current.append(stream)
            bytes += cost
        }
        flush()
        return requests
    }
}
