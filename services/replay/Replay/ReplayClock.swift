import Foundation
import Synchronization

/// The replay server's "now": starts at a chosen instant and advances `speed` simulated
/// seconds per real second. REST and WebSocket both read it, so they always agree.
public final class ReplayClock: Sendable {
    /// Speeds the replay accepts besides 0: slower or faster ones would overflow the clock
    /// arithmetic or make a simulated minute last longer than the process will run.
    public static let speeds: ClosedRange<Double> = 0.001...1_000_000

    public let startMillis: Int64
    public let speed: Double
    private let wallStart: Double
    private let wall: @Sendable () -> Double
    /// Extra simulated time added by `advance(by:)` (tests jump ahead without waiting).
    private let offset = Mutex<Int64>(0)

    /// - Parameters:
    ///   - start: simulated Unix milliseconds at the moment of creation.
    ///   - speed: simulated seconds per real second; 0 freezes the clock, else in `speeds`
    ///     (callers validate outside input against it first).
    ///   - wall: real time in seconds (injected by tests).
    public init(start: Int64, speed: Double, wall: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        precondition(speed == 0 || Self.speeds.contains(speed), "replay speed \(speed) outside 0 or \(Self.speeds)")
        self.startMillis = start
        self.speed = speed
        self.wall = wall
        self.wallStart = wall()
    }

    /// Simulated Unix milliseconds now.
    public func nowMillis() -> Int64 {
        let elapsedMillis: Double = (wall() - wallStart) * speed * 1000
        return startMillis + Int64(milliseconds: elapsedMillis) + offset.withLock { $0 }
    }

    /// Moves simulated time forward.
    public func advance(byMillis millis: Int64) {
        precondition(millis >= 0)
        offset.withLock { $0 += millis }
    }

    /// Real seconds until simulated time reaches `millis` (0 if already past; infinity if frozen).
    public func realSeconds(until millis: Int64) -> Double {
        let remaining = millis - nowMillis()
        guard remaining > 0 else { return 0 }
        return speed == 0 ? .infinity : Double(remaining) / 1000 / speed
    }
}
