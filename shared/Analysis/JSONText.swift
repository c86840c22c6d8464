/// JSON text of the values every analysis stores (its votes and consensus), written directly.
///
/// Foundation's `JSONEncoder` took about a quarter of an inference instance's CPU per analysis
/// (it builds a tree of boxed values, then serialises it). This writes the same JSON: the same
/// keys (`CodingKeys`), numbers as Swift's shortest round-trip text, strings escaped as JSON
/// requires. `JSONDecoder` reads it back into equal values (tested), and PostgreSQL's `jsonb`
/// stores it alike.
public enum JSONText {
    /// Appends `value` as a JSON string. Byte-wise: no byte of a multi-byte UTF-8 sequence is
    /// below 0x80, so only ASCII needs escaping, and most strings need none.
    public static func write(_ value: String, to out: inout String) {
        out.append("\"")
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out.append(value)
        } else {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(value.utf8.count + 16)
            for byte in value.utf8 {
                switch byte {
                case 0x22: bytes += [0x5C, 0x22]  // \"
                case 0x5C: bytes += [0x5C, 0x5C]  // \\
                case 0x0A: bytes += [0x5C, 0x6E]  // \n
                case 0x0D: bytes += [0x5C, 0x72]  // \r
                case 0x09: bytes += [0x5C, 0x74]  // \t
                case ..<0x20: bytes += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
                default: bytes.append(byte)
                }
            }
            out.append(String(decoding: bytes, as: UTF8.self))
        }
        out.append("\"")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON number: a whole number as an integer (as `JSONEncoder` writes
    /// it), any other as its shortest text that reads back as the same `Double`. JSON has no NaN
    /// or infinity; the values written here are bounded (probabilities, confidences), so a
    /// non-finite one is a bug, and is written as 0 rather than as invalid JSON.
    public static func write(_ value: Double, to out: inout String) {
        if !value.isFinite {
            out.append("0")
        } else if value == value.rounded(), abs(value) < 1e15 {
            out.append(String(Int64(value)))
        } else {
            out.append(value.description)
        }
    }

    /// Appends `values` as a JSON array of strings.
    public static func write(_ values: [String], to out: inout String) {
        out.append("[")
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(",") }
            write(value, to: &out)
        }
        out.append("]")
    }

    /// Appends `values` as a JSON object of integers, keys sorted.
    public static func write(_ values: [String: Int64], to out: inout String) {
        out.append("{")
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out.append(",") }
            write(key, to: &out)
            out.append(":")
            out.append(String(values[key] ?? 0))
        }
        out.append("}")
    }

    /// `[String]` as JSON text.
    public static func text(_ values: [String]) -> String {
        var out = ""
        write(values, to: &out)
        return out
    }

    /// `[String: Int64]` as JSON text.
    public static func text(_ values: [String: Int64]) -> String {
        var out = ""
        write(values, to: &out)
        return out
    }
}

extension Vote {
    /// The vote as JSON, as `JSONEncoder` would write it.
    public func writeJSON(to out: inout String) {
        out.append("{\"head\":")
        JSONText.write(head.rawValue, to: &out)
        out.append(",\"direction\":")
        JSONText.write(direction.rawValue, to: &out)
        out.append(",\"probability\":")
        JSONText.write(probability, to: &out)
        out.append(",\"confidence\":")
        JSONText.write(confidence, to: &out)
        out.append(",\"reasons\":")
        JSONText.write(reasons, to: &out)
        out.append("}")
    }

    /// Votes as a JSON array.
    public static func jsonText(_ votes: [Vote]) -> String {
        var out = ""
        out.reserveCapacity(votes.count * 160)
        writeJSON(votes, to: &out)
        return out
    }

    static func writeJSON(_ votes: [Vote], to out: inout String) {
        out.append("[")
        for (index, vote) in votes.enumerated() {
            if index > 0 { out.append(",") }
            vote.writeJSON(to: &out)
        }
        out.append("]")
    }
}

extension Consensus {
    /// The consensus as JSON, as `JSONEncoder` would write it (its `CodingKeys`).
    public var jsonText: String { jsonText(includingVotes: true) }

    /// The consensus as JSON; without its votes when `includingVotes` is false (an `analyses`
    /// row keeps them once, in its `votes` column, and readers put them back).
    public func jsonText(includingVotes: Bool) -> String {
        var out = ""
        out.reserveCapacity((includingVotes ? votes.count * 160 : 0) + 200)
        out.append("{\"direction\":")
        JSONText.write(direction.rawValue, to: &out)
        out.append(",\"agreeing\":")
        JSONText.write(agreeing.map(\.rawValue), to: &out)
        out.append(",\"long_count\":")
        out.append(String(longCount))
        out.append(",\"short_count\":")
        out.append(String(shortCount))
        out.append(",\"probability\":")
        JSONText.write(probability, to: &out)
        out.append(",\"confidence\":")
        JSONText.write(confidence, to: &out)
        if includingVotes {
            out.append(",\"votes\":")
            Vote.writeJSON(votes, to: &out)
        }
        out.append(",\"summary\":")
        JSONText.write(summary, to: &out)
        out.append("}")
        return out
    }
}
