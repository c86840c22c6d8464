/// Which way a head (or the consensus) leans.
public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
    case long
    case short
    case neutral

    /// The other side; neutral stays neutral.
    public var opposite: Direction {
        switch self {
        case .long: .short
        case .short: .long
        case .neutral: .neutral
        }
    }
}
