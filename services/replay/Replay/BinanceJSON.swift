import Hummingbird

/// A JSON value whose object keys keep the order they were given in, so bodies list their
/// fields in the order Binance's do. Rendering is a single pass into a string.
enum BinanceJSON: Sendable {
    case object([(String, BinanceJSON)])
    case array([BinanceJSON])
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    static func int(_ value: Int) -> BinanceJSON { .int(Int64(value)) }

    /// Compact JSON text, as Binance sends it (no spaces).
    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .object(let fields):
            out.append("{")
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out.append(",") }
                Self.writeString(key, to: &out)
                out.append(":")
                value.write(to: &out)
            }
            out.append("}")
        case .array(let values):
            out.append("[")
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(",") }
                value.write(to: &out)
            }
            out.append("]")
        case .string(let value):
            Self.writeString(value, to: &out)
        case .int(let value):
            out.append(String(value))
        case .double(let value):
            out.append(value.isFinite ? Self.format(value) : "null")
        case .bool(let value):
            out.append(value ? "true" : "false")
        case .null:
            out.append("null")
        }
    }

    /// Integral doubles print without a fraction ("1" not "1.0"), like most JSON encoders.
    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func writeString(_ value: String, to out: inout String) {
        out.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}

extension BinanceJSON {
    /// Binance's REST kline row: `[openTime, "open", "high", "low", "close", "volume", closeTime,
    /// "quoteVolume", trades, "takerBuyVolume", "takerBuyQuoteVolume", "0"]`.
    init(klineRow kline: KlineOut) {
        self = .array([
            .int(kline.openTime), .string(kline.open), .string(kline.high), .string(kline.low), .string(kline.close),
            .string(kline.volume), .int(kline.closeTime), .string(kline.quoteVolume), .int(kline.trades),
            .string(kline.takerBuyVolume), .string(kline.takerBuyQuoteVolume), .string("0"),
        ])
    }
}

extension Response {
    /// A JSON response with Binance's content type and the given extra headers.
    static func binanceJSON(_ body: BinanceJSON, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json;charset=UTF-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }

    /// A 200 answer whose body a `body` REST fault damaged.
    static func damaged(_ body: BinanceJSON, _ damage: RESTFaults.BodyFault, headers: HTTPFields) -> Response {
        switch damage {
        case .truncated:
            let text = body.text
            var fields = headers
            fields[.contentType] = "application/json;charset=UTF-8"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: String(text.prefix(text.count / 2)))))
        case .malformed:
            var fields = headers
            fields[.contentType] = "text/html"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: "<html><body>502 Bad Gateway</body></html>")))
        case .short:
            guard case .array(let items) = body else { return binanceJSON(body, headers: headers) }
            return binanceJSON(.array(Array(items.prefix(3))), headers: headers)
        }
    }
}

/// Decimal text arithmetic for fields Binance shows that the data does not carry directly.
enum DecimalText {
    /// `a + b`, printed with the larger of the two scales; nil when either is not a decimal.
    static func sum(_ a: String, _ b: String) -> String? {
        guard let left = Fixed(Substring(a)), let right = Fixed(Substring(b)) else { return nil }
        let scale = max(left.scale, right.scale)
        guard let x = Fixed(Substring(a), scale: scale), let y = Fixed(Substring(b), scale: scale) else { return nil }
        let (units, overflow) = x.units.addingReportingOverflow(y.units)
        guard !overflow else { return nil }
        return Fixed(units: units, scale: scale).description
    }

    /// Zero with `scale` decimals ("0.00000000").
    static func zero(scale: Int) -> String {
        Fixed(units: 0, scale: min(max(scale, 0), 18)).description
    }

    /// A whole number printed with `scale` zero decimals (1000000, 2 → "1000000.00").
    static func limit(_ whole: Int64, scale: Int) -> String {
        scale > 0 ? "\(whole)." + String(repeating: "0", count: scale) : "\(whole)"
    }

    /// The number of decimals of a decimal text ("0.0010" → 4).
    static func decimals(_ text: String) -> Int {
        guard let dot = text.firstIndex(of: ".") else { return 0 }
        return text.distance(from: text.index(after: dot), to: text.endIndex)
    }
}
