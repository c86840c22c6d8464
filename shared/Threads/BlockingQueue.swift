import Foundation

/// A dedicated thread for blocking C calls (libpq, hiredis, libcurl).
///
/// Work submitted here runs on the queue's own thread, never on Swift's cooperative pool,
/// one item at a time and in submission order — so a C handle owned by one `BlockingQueue`
/// is only ever touched by one thread at a time, and a connection blocked in `poll()` for
/// minutes never starves another connection or the rest of the process. (Dispatch queues
/// are not used: on Linux their shared worker pool is width-limited, so a few blocked
/// connections can stall every other one.)
///
/// The thread ends when the queue is released, after finishing the work already submitted.
public final class BlockingQueue: Sendable {
    private let worker: Worker

    /// - Parameter label: the thread's name, shown in debuggers, e.g. `alphapulse.pg.3`.
    public init(label: String) {
        worker = Worker.started(label: label)
    }

    deinit {
        worker.stop()
    }

    /// Runs `body` on the queue's thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            worker.submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body` on the queue's thread and returns its result; for bodies that cannot throw.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            worker.submit { continuation.resume(returning: body()) }
        }
    }
}

/// A thread's job list, run in submission order. `NSCondition` guards `jobs` and `stopping`.
final class Worker: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    /// A worker whose thread, named `label`, is already running.
    static func started(label: String) -> Worker {
        let worker = Worker()
        // Linux thread names are at most 15 bytes. Set from the thread itself: a name given
        // before `start()` does not reach the kernel, and the thread would show its creator's.
        // Foundation may also apply the Thread object's own name once the thread runs, racing the
        // name set inside: both are the same name, so whichever lands last is right.
        let name = String(label.suffix(15))
        let thread = Thread { [worker] in
            // The kernel's name directly: a new Linux thread starts with its creator's name,
            // and Foundation's setter does not always reach the kernel.
            try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            Thread.current.name = name
            worker.loop()
        }
        thread.name = name
        thread.start()
        return worker
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            // Everything queued so far, in one go: one lock round per batch, not per job.
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }
}
