import Contracts
import Core
import Foundation
import Logging
import Metrics
import Redis
import ServiceLifecycle
import Synchronization

/// Waiters for on-demand replies, as a pure state machine: a request registers its job before
/// enqueueing it, so a reply that arrives before the request starts waiting is kept for it;
/// each waiter is resumed exactly once, by its reply, its timeout or its cancellation.
///
/// Bound: at most `capacity` requests wait at once; one more is refused (the API answers 503
/// with Retry-After) rather than queued without limit.
struct ReplyWaiters: Sendable {
    enum Slot {
        case registered
        case waiting(CheckedContinuation<OnDemandReply, any Error>)
        case arrived(OnDemandReply)
        case failed(any Error)
    }

    struct Full: Error {}

    let capacity: Int
    private(set) var slots: [String: Slot] = [:]

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { slots.count }

    mutating func register(_ jobID: String) throws(Full) {
        guard slots.count < capacity else { throw Full() }
        slots[jobID] = .registered
    }

    /// A reply arrived. Returns the continuation to resume with it (outside any lock), or
    /// nil: kept for a waiter yet to wait, or an orphan (`isOrphan`) nobody waits for.
    mutating func deliver(_ reply: OnDemandReply) -> (resume: CheckedContinuation<OnDemandReply, any Error>?, isOrphan: Bool) {
        switch slots[reply.jobID] {
        case .registered:
            slots[reply.jobID] = .arrived(reply)
            return (nil, false)
        case .waiting(let continuation):
            slots[reply.jobID] = nil
            return (continuation, false)
        case .arrived, .failed, nil:
            return (nil, true)
        }
    }

    /// The request starts waiting. Returns what to resume it with at once, if anything.
    mutating func wait(_ jobID: String, _ continuation: CheckedContinuation<OnDemandReply, any Error>) -> Result<OnDemandReply, any Error>? {
        switch slots[jobID] {
        case .registered:
            slots[jobID] = .waiting(continuation)
            return nil
        case .arrived(let reply):
            slots[jobID] = nil
            return .success(reply)
        case .failed(let error):
            slots[jobID] = nil
            return .failure(error)
        case .waiting, nil:
            return .failure(CancellationError())
        }
    }

    /// Timeout or cancellation: returns the continuation to fail, if the request was waiting.
    mutating func fail(_ jobID: String, _ error: any Error) -> CheckedContinuation<OnDemandReply, any Error>? {
        switch slots[jobID] {
        case .waiting(let continuation):
            slots[jobID] = nil
            return continuation
        case .registered:
            slots[jobID] = .failed(error)
            return nil
        case .arrived, .failed, nil:
            return nil
        }
    }

    /// Forgets a request that will not wait (its enqueue failed).
    mutating func forget(_ jobID: String) {
        slots[jobID] = nil
    }
}

/// The gateway's one listener for on-demand replies: inference instances push every reply for
/// this gateway instance to one list (`reply:gateway:{instance}`), and one loop pops it with a
/// blocking pop on a connection of its own and hands each reply to the request waiting for
/// it. No request holds a Redis connection while it waits.
///
/// A reply nobody waits for (its request timed out, or it was meant for an earlier run of this
/// instance) is dropped and counted; one that is not a reply document is dropped, counted and
/// logged. A Redis outage is retried every second and counted; requests then time out (504).
final class ReplyListener: Service, Sendable {
    let replyKey: String
    private let redis: RedisClient
    private let keys: RedisKeys
    private let waiters: Mutex<ReplyWaiters>
    private let logger: Logger
    /// Longest the blocking pop waits before it loops (and sees cancellation).
    private let popWait: Duration

    init(redis: RedisClient, keys: RedisKeys, instance: String, capacity: Int, logger: Logger, popWait: Duration = .seconds(2)) {
        self.redis = redis
        self.keys = keys
        self.replyKey = keys.reply("gateway:\(instance)")
        self.waiters = Mutex(ReplyWaiters(capacity: capacity))
        self.logger = logger
        self.popWait = popWait
    }

    var waiting: Int { waiters.withLock { $0.count } }

    func run() async throws {
        let connection = redis.makeDedicatedClient(label: "replies")
        defer { Task { await connection.close() } }
        // A graceful stop cancels the loop at once: the blocking pop holds nothing to flush, and
        // a request still waiting ends at its own timeout.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let reply = try await connection.send(
                        arguments: ["BRPOP", RedisArgument(self.replyKey), RedisArgument(String(Double(self.popWait.milliseconds) / 1000))],
                        timeout: self.popWait + .seconds(5))
                    guard let pair = reply.array, pair.count == 2, let bytes = pair[1].bytes else { continue }
                    self.handle(bytes)
                } catch {
                    if Task.isCancelled { return }
                    Counter(label: "alphapulse.gateway.on_demand.listener_errors").increment()
                    self.logger.warning("on-demand reply listener: Redis failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    func handle(_ bytes: [UInt8]) {
        let reply: OnDemandReply
        do {
            reply = try OnDemandReply.decode(bytes)
        } catch {
            Counter(label: "alphapulse.gateway.on_demand.replies", dimensions: [("outcome", "malformed")]).increment()
            logger.warning("on-demand reply dropped: not a reply document", metadata: ["error": "\(error)"])
            return
        }
        let (continuation, orphan) = waiters.withLock { $0.deliver(reply) }
        if orphan {
            Counter(label: "alphapulse.gateway.on_demand.replies", dimensions: [("outcome", "orphan")]).increment()
            return
        }
        Counter(label: "alphapulse.gateway.on_demand.replies", dimensions: [("outcome", "delivered")]).increment()
        continuation?.resume(returning: reply)
    }

    enum Failure: Error, Equatable {
        /// `capacity` requests wait already.
        case busy
        /// No reply within the timeout.
        case timeout
    }

    /// Enqueues `job` (with this listener's reply key) on `jobs:now` and waits up to
    /// `timeout` for its reply.
    /// - Throws: `Failure`, `RedisError` when the enqueue fails, `CancellationError`.
    func request(_ job: AnalysisJob, timeout: Duration, streamBound: Int) async throws -> OnDemandReply {
        var job = job
        job.replyKey = replyKey
        do {
            try waiters.withLock { waiters throws(ReplyWaiters.Full) in try waiters.register(job.id) }
        } catch {
            throw Failure.busy
        }
        do {
            _ = try await redis.xadd(keys.jobsNow, fields: job.fields, maxLength: streamBound)
        } catch {
            waiters.withLock { $0.forget(job.id) }
            throw error
        }
        let id = job.id
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.waiters.withLock { $0.fail(id, Failure.timeout) }?.resume(throwing: Failure.timeout)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                switch waiters.withLock({ $0.wait(id, continuation) }) {
                case .success(let reply): continuation.resume(returning: reply)
                case .failure(let error): continuation.resume(throwing: error)
                case nil: break
                }
            }
        } onCancel: {
            self.waiters.withLock { $0.fail(id, CancellationError()) }?.resume(throwing: CancellationError())
        }
    }
}
