/// The fields of a stream entry or hash by name, for decoding: the first value of each name
/// wins, as Redis returns them in stored order.
public struct StreamFields: Sendable {
    private var values: [String: String]

    public init(_ fields: [(name: String, value: String)]) {
        var values: [String: String] = [:]
        values.reserveCapacity(fields.count)
        for field in fields where values[field.name] == nil { values[field.name] = field.value }
        self.values = values
    }

    public init(_ dictionary: [String: String]) {
        values = dictionary
    }

    public subscript(_ name: String) -> String? { values[name] }

    public var isEmpty: Bool { values.isEmpty }

    /// A required text field.
    public func text(_ name: String, maxBytes: Int = 256) throws(ContractError) -> String {
        guard let value = values[name] else { throw ContractError(.missingField, "no field '\(name)'") }
        guard value.utf8.count <= maxBytes else { throw ContractError(.badField, "field '\(name)' is longer than \(maxBytes) bytes") }
        return value
    }

    /// A required integer written in plain decimal digits (an optional leading `-`), no more than
    /// 18 digits: no `+`, spaces, exponents or hex.
    public func integer(_ name: String) throws(ContractError) -> Int64 {
        let value = try text(name, maxBytes: 20)
        guard let number = Self.plainInteger(value) else { throw ContractError(.badField, "field '\(name)' is not an integer: \(value.prefix(24))") }
        return number
    }

    static func plainInteger(_ text: String) -> Int64? {
        var utf8 = text.utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return negative ? -value : value
    }
}
