/// The release of AlphaPulse these binaries are, as `/api/v1/version` reports it.
public enum AlphaPulseVersion {
    public static let current = "0.4.0"
}
