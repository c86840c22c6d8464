import Threads

/// A test value computed once, on a thread of its own, and awaited by every test that needs it.
///
/// Heavy fixtures (a month of klines, synthetic markets) used to live in `static let`s. A
/// test that touched one while another test was computing it blocked its cooperative thread
/// in the one-time initialiser; on two cores that stalled the whole parallel run for ~20 s,
/// and unrelated tests timed out waiting for servers that could not be scheduled. Awaiting a
/// task suspends instead, and the computation runs off the cooperative pool.
public final class SharedValue<Value: Sendable>: Sendable {
    private let task: Task<Value, any Error>

    /// Starts computing `make` at once on a new thread named `label`.
    public init(_ label: String, _ make: @escaping @Sendable () throws -> Value) {
        let thread = BlockingQueue(label: label)
        task = Task { try await thread.run(make) }
    }

    /// The value, or the error computing it threw.
    public func get() async throws -> Value { try await task.value }
}
