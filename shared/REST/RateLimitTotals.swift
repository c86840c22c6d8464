import Synchronization

/// Rate-limit (429), ban (418) and server-error (5xx) answers received by every `RESTClient` of
/// this process since it started, for the heartbeat.
public enum RateLimitTotals {
    private static let counts = Mutex<(tooManyRequests: Int, banned: Int, serverErrors: Int)>((0, 0, 0))

    static func record(status: Int) {
        counts.withLock { counts in
            switch status {
            case 429: counts.tooManyRequests += 1
            case 418: counts.banned += 1
            case 500..<600: counts.serverErrors += 1
            default: break
            }
        }
    }

    /// 429 answers so far.
    public static var tooManyRequests: Int { counts.withLock { $0.tooManyRequests } }
    /// 418 answers so far.
    public static var banned: Int { counts.withLock { $0.banned } }
    /// 5xx answers so far (each attempt of a retried request counts).
    public static var serverErrors: Int { counts.withLock { $0.serverErrors } }
}
