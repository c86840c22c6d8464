import Synchronization

/// Up to `capacity` reusable curl handles, created on first need. A request borrows one for
/// one transfer, waiting in FIFO order while all are busy, and gives it back afterwards so its
/// keep-alive connections serve the next request.
final class HandlePool: Sendable {
    /// Thrown when libcurl cannot create a handle.
    struct HandleUnavailable: Error {}

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<CurlHandle, any Error>
    }

    private struct State {
        var idle: [CurlHandle] = []
        var created = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
    }

    private enum Borrow {
        case take(CurlHandle)
        case create(Int)
        case wait(UInt64)
    }

    private let capacity: Int
    private let label: String
    private let state = Mutex(State())

    /// - Parameters:
    ///   - capacity: the most handles, and so concurrent transfers; must be positive.
    ///   - label: prefix of the handles' queue labels.
    init(capacity: Int, label: String) {
        precondition(capacity > 0, "a handle pool needs at least one handle")
        self.capacity = capacity
        self.label = label
    }

    /// Runs `body` with a borrowed handle and returns the handle afterwards, whatever happens.
    ///
    /// - Throws: `CancellationError` if the task is cancelled while waiting for a handle,
    ///   `HandleUnavailable` if libcurl cannot make one, or whatever `body` throws.
    func withHandle<T: Sendable>(_ body: (CurlHandle) async throws -> T) async throws -> T {
        let handle = try await borrow()
        do {
            let result = try await body(handle)
            giveBack(handle)
            return result
        } catch {
            giveBack(handle)
            throw error
        }
    }

    private func borrow() async throws -> CurlHandle {
        let decision = state.withLock { state -> Borrow in
            if let handle = state.idle.popLast() { return .take(handle) }
            if state.created < capacity {
                state.created += 1
                return .create(state.created)
            }
            defer { state.nextWaiterID += 1 }
            return .wait(state.nextWaiterID)
        }
        switch decision {
        case .take(let handle):
            return handle
        case .create(let number):
            if let handle = CurlHandle(label: "\(label).\(number)") { return handle }
            state.withLock { $0.created -= 1 }
            throw HandleUnavailable()
        case .wait(let id):
            return try await wait(id: id)
        }
    }

    private func wait(id: UInt64) async throws -> CurlHandle {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CurlHandle, any Error>) in
                enum Action { case resume(CurlHandle), cancel, wait }
                let action = state.withLock { state -> Action in
                    if let handle = state.idle.popLast() { return .resume(handle) }
                    // If the cancellation handler already ran it found no waiter to remove, so
                    // the cancelled flag (set before the handler runs) must be checked here.
                    if Task.isCancelled { return .cancel }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .wait
                }
                // Resume outside the lock.
                switch action {
                case .resume(let handle): continuation.resume(returning: handle)
                case .cancel: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func giveBack(_ handle: CurlHandle) {
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.idle.append(handle)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: handle)
    }
}
