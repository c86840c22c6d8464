import Synchronization

/// Named checks that decide whether a service is ready (`/readyz`): typically "the database
/// answers" and "Redis answers", plus whatever the service itself needs.
public final class Readiness: Sendable {
    public typealias Check = @Sendable () async throws -> Void

    public struct Result: Sendable {
        public let name: String
        /// nil when the check passed.
        public let failure: String?
    }

    private let checks = Mutex<[(String, Check)]>([])
    private let degradedReasons = Mutex<[String: String]>([:])
    private let loops = Mutex<[(WorkProgress, Duration)]>([])

    public init() {}

    /// Marks a part of the service as degraded (working, but not as it should: a failing
    /// upstream, a retry loop) or, with `nil`, as healthy again. A degraded service stays
    /// ready; its heartbeat and `/readyz` say `degraded` and why.
    public func setDegraded(_ name: String, _ reason: String?) {
        degradedReasons.withLock { $0[name] = reason }
    }

    /// What is degraded now, by name.
    public var degraded: [(name: String, reason: String)] {
        degradedReasons.withLock { $0 }.sorted { $0.key < $1.key }.map { (name: $0.key, reason: $0.value) }
    }

    /// Watches a work loop for `/healthz`: the process counts as not alive once the loop has
    /// made no progress for `limit`.
    public func watch(_ progress: WorkProgress, limit: Duration) {
        loops.withLock { $0.append((progress, limit)) }
    }

    /// The watched loops that have stalled, with how long they have made no progress.
    public func stalled(at now: ContinuousClock.Instant = .now) -> [(name: String, age: Duration)] {
        loops.withLock { $0 }.filter { $0.0.isStalled(limit: $0.1, at: now) }.map { (name: $0.0.name, age: $0.0.age(at: now)) }
    }

    /// Adds a check; it passes when it returns and fails when it throws or times out.
    public func add(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    /// Runs every check concurrently, each bounded by `timeout`.
    public func evaluate(timeout: Duration = .seconds(2)) async -> [Result] {
        let current = checks.withLock { $0 }
        return await withTaskGroup(of: Result.self) { group in
            for (name, check) in current {
                group.addTask {
                    await Self.run(name: name, check: check, timeout: timeout)
                }
            }
            var results: [Result] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.name < $1.name }
        }
    }

    /// Whether every check passes now.
    public func isReady(timeout: Duration = .seconds(2)) async -> Bool {
        await evaluate(timeout: timeout).allSatisfy { $0.failure == nil }
    }

    private static func run(name: String, check: @escaping Check, timeout: Duration) async -> Result {
        Result(name: name, failure: await probe(timeout: timeout, check))
    }

    /// Runs `check`, returning at the timeout even if the check ignores cancellation (a
    /// connect in progress, a client retrying its reconnects): the check is cancelled and left
    /// to finish on its own. Returns nil when it passed, else why not ("no answer within 2 s").
    public static func probe(timeout: Duration, _ check: @escaping Check) async -> String? {
        let outcome = Outcome()
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let work = Task {
                let failure: String?
                do {
                    try await check()
                    failure = nil
                } catch {
                    failure = String(describing: error)
                }
                if outcome.claim() { continuation.resume(returning: failure) }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.claim() {
                    work.cancel()
                    continuation.resume(returning: "no answer within \(timeout)")
                }
            }
        }
    }

    /// Lets exactly one of the check and its timer resume the continuation.
    private final class Outcome: Sendable {
        private let claimed = Mutex(false)
        func claim() -> Bool {
            claimed.withLock { value in
                defer { value = true }
                return !value
            }
        }
    }
}
