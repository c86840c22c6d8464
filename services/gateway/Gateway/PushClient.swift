import Foundation
import Synchronization

/// A Redis stream entry id, `{ms}-{seq}`, ordered as Redis orders them.
struct StreamID: Comparable, Hashable, Sendable, CustomStringConvertible {
    var millis: UInt64
    var sequence: UInt64

    init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1)
        guard let millis = parts.first.flatMap({ UInt64($0) }) else { return nil }
        self.millis = millis
        if parts.count == 2 {
            guard let sequence = UInt64(parts[1]) else { return nil }
            self.sequence = sequence
        } else {
            self.sequence = 0
        }
    }

    var description: String { "\(millis)-\(sequence)" }

    static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.millis, lhs.sequence) < (rhs.millis, rhs.sequence)
    }
}

/// What one WebSocket client is owed, as a state machine: its channels, a bounded queue of
/// messages not yet written, and where it stands in the signals stream.
///
/// Order and no duplicates across a resume: live signal events that arrive while the client
/// catches up from its resume id are held, then released after the catch-up, and any event at
/// or before the last id it was sent is skipped.
///
/// Bound: `capacity` messages wait at most (queued plus held). One more marks the client slow;
/// the connection is then closed with code 4008, not buffered without limit.
struct PushQueue: Sendable {
    let capacity: Int
    private(set) var channels: Set<String> = []
    private(set) var queued: [String] = []
    private(set) var slow = false
    /// The newest signals-stream id sent (or skipped as not subscribed).
    private(set) var lastSignal: StreamID?
    /// Live signal events held during a catch-up; nil when not catching up.
    private var held: [(id: StreamID, channel: String, message: String)]?

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isCatchingUp: Bool { held != nil }
    var waiting: Int { queued.count + (held?.count ?? 0) }

    mutating func subscribe(_ names: [String]) { channels.formUnion(names) }
    mutating func unsubscribe(_ names: [String]) { channels.subtract(names) }

    /// Queues a message of `channel` (nil: always, e.g. replies); false once slow.
    @discardableResult
    mutating func enqueue(_ message: String, channel: String?) -> Bool {
        guard !slow else { return false }
        if let channel, !channels.contains(channel) { return true }
        guard waiting < capacity else {
            slow = true
            return false
        }
        queued.append(message)
        return true
    }

    /// A live signals-stream event: held during a catch-up, skipped when already sent.
    mutating func live(signal id: StreamID, channel: String, message: String) {
        guard !slow else { return }
        if held != nil {
            guard waiting < capacity else {
                slow = true
                return
            }
            held?.append((id, channel, message))
            return
        }
        if let lastSignal, id <= lastSignal { return }
        lastSignal = id
        enqueue(message, channel: channel)
    }

    /// Starts a catch-up: live signal events are held until `finishCatchUp`.
    mutating func startCatchUp() { held = held ?? [] }

    /// One event read during the catch-up, in stream order.
    mutating func caughtUp(signal id: StreamID, channel: String, message: String) {
        if let lastSignal, id <= lastSignal { return }
        lastSignal = id
        enqueue(message, channel: channel)
    }

    /// Ends the catch-up: the held live events not already sent follow, in order.
    mutating func finishCatchUp() {
        let pending = held ?? []
        held = nil
        for event in pending { live(signal: event.id, channel: event.channel, message: event.message) }
    }

    /// Takes every queued message, oldest first.
    mutating func drain() -> [String] {
        defer { queued.removeAll(keepingCapacity: true) }
        return queued
    }
}

/// One connected WebSocket client: its `PushQueue` behind a lock, and a wake-up for the task
/// that writes to the socket.
final class PushClient: Sendable {
    let id: Int
    private let state: Mutex<PushQueue>
    private let wake: AsyncStream<Void>.Continuation
    /// Yields whenever something was queued (coalesced: one pending wake-up at most).
    let wakes: AsyncStream<Void>
    private let slowNotice: AsyncStream<Void>.Continuation
    /// Yields once, when the queue's bound is hit.
    let slowed: AsyncStream<Void>

    init(id: Int, capacity: Int) {
        self.id = id
        self.state = Mutex(PushQueue(capacity: capacity))
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (slowed, slowNotice) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    @discardableResult
    func with<T>(_ body: (inout PushQueue) -> T) -> T {
        let (result, slow) = state.withLock { queue in
            let result = body(&queue)
            return (result, queue.slow)
        }
        if slow {
            slowNotice.yield()
            slowNotice.finish()
        }
        wake.yield()
        return result
    }

    var channels: Set<String> { state.withLock { $0.channels } }
    var isSlow: Bool { state.withLock { $0.slow } }

    func drain() -> [String] { state.withLock { $0.drain() } }

    func finish() {
        wake.finish()
        slowNotice.finish()
    }
}

/// A flag several tasks of one connection share.
final class SharedFlag: Sendable {
    private let value: Atomic<Bool>

    init(_ initial: Bool) {
        value = Atomic(initial)
    }

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() { value.store(true, ordering: .relaxed) }
}
