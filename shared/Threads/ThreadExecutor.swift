import Foundation

/// A task executor with one dedicated thread.
///
/// Tasks that prefer it (`withTaskExecutorPreference`) run their code on this thread instead of
/// Swift's cooperative pool. Work that must keep pace whatever else the process does uses
/// it. The ingest's persister is the case in point: on a saturated pool, every await of its
/// write loop would queue behind busy frame readers, and its lag would grow.
///
/// The thread ends when the executor is released, after the jobs already enqueued.
public final class ThreadExecutor: TaskExecutor, Sendable {
    private let worker: Worker

    /// - Parameter label: the thread's name, e.g. `alphapulse.persist`.
    public init(label: String) {
        worker = Worker.started(label: label)
    }

    deinit {
        worker.stop()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        worker.submit { job.runSynchronously(on: executor) }
    }
}
