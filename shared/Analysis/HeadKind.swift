/// The nine analysis heads, in their documented order. Raw values are the stable names used
/// in JSON (analyses, signals, reports) and configuration.
public enum HeadKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case technical
    case sentiment
    case volume
    case ruleBased = "rule_based"
    case ict
    case wyckoff
    case harmonic
    case marketStructure = "market_structure"
    case cryptoMetrics = "crypto_metrics"

    public static func < (lhs: HeadKind, rhs: HeadKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
