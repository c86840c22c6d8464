import Dispatch

/// A serial queue for blocking C calls (libpq, hiredis, libcurl).
///
/// Work submitted here runs on a Dispatch thread, never on Swift's cooperative pool, one
/// item at a time and in submission order — so a C handle owned by one `BlockingQueue` is
/// only ever touched by one thread at a time. Dispatch adds threads when queued work blocks,
/// so one connection blocked in `poll()` never starves another.
public final class BlockingQueue: Sendable {
    private let queue: DispatchQueue

    /// - Parameter label: shown in debuggers and crash logs, e.g. `alphapulse.pg.3`.
    public init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Runs `body` on the queue and returns its result; for bodies that cannot throw.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            queue.async {
                continuation.resume(returning: body())
            }
        }
    }

    /// Runs `body` on the queue and waits for it on the calling thread. For deinit-style
    /// cleanup only; never call it from async code.
    public func runSync<T>(_ body: () throws -> T) rethrows -> T {
        try queue.sync(execute: body)
    }
}
