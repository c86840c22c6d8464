/// Runs `body`, cancelling it once `limit` has passed; returns whether it finished in time.
///
/// Shutdown work against a server that may be gone (a last flush, releasing leases, removing
/// the heartbeat) goes through this, so a stop is never held up by reconnect attempts.
@discardableResult
public func withTimeLimit(_ limit: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await body()
            return true
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return false
        }
        let finished = await group.next() ?? false
        group.cancelAll()
        return finished
    }
}
