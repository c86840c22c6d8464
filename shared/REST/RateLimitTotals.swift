import Synchronization

/// Rate-limit (429) and ban (418) answers received by every `RESTClient` of this process since
/// it started, for the heartbeat.
public enum RateLimitTotals {
    private static let counts = Mutex<(tooManyRequests: Int, banned: Int)>((0, 0))

    static func record(status: Int) {
        counts.withLock { counts in
            if status == 429 { counts.tooManyRequests += 1 } else if status == 418 { counts.banned += 1 }
        }
    }

    /// 429 answers so far.
    public static var tooManyRequests: Int { counts.withLock { $0.tooManyRequests } }
    /// 418 answers so far.
    public static var banned: Int { counts.withLock { $0.banned } }
}
