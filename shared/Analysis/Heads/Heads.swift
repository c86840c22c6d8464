/// The nine heads with their documented default thresholds, in `HeadKind` order.
public enum Heads {
    public static func all() -> [any Head] {
        [
            TechnicalHead(), SentimentHead(), VolumeHead(), RuleBasedHead(), ICTHead(), WyckoffHead(), HarmonicHead(),
            MarketStructureHead(), CryptoMetricsHead(),
        ]
    }
}
