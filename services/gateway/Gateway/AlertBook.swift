/// How bad an alert is; the `alerts.severity` column.
public enum AlertSeverity: String, Sendable, Codable, CaseIterable {
    case info, warning, critical
}

/// One alert rule: a measured value per subject, raised when it stays at or above `raise` for
/// `forMillis`, resolved when it falls to `clear` or below. `clear` below `raise` is the
/// hysteresis: a value wavering around one threshold neither flaps nor re-raises.
public struct AlertRule: Sendable, Equatable {
    public var name: String
    public var severity: AlertSeverity
    public var raise: Double
    public var clear: Double
    public var forMillis: Int64

    public init(name: String, severity: AlertSeverity, raise: Double, clear: Double, forMillis: Int64) {
        precondition(clear < raise, "a rule's clear threshold lies below its raise threshold")
        self.name = name
        self.severity = severity
        self.raise = raise
        self.clear = clear
        self.forMillis = max(0, forMillis)
    }
}

/// A rule's value for one subject at one evaluation.
public struct AlertObservation: Sendable, Equatable {
    public var rule: String
    public var subject: String
    public var value: Double
    /// What a person reads: the condition in words, with the value.
    public var message: String
    /// Overrides the rule's severity for this subject (a Binance ban is worse than a 429).
    public var severity: AlertSeverity?

    public init(rule: String, subject: String, value: Double, message: String, severity: AlertSeverity? = nil) {
        self.rule = rule
        self.subject = subject
        self.value = value
        self.message = message
        self.severity = severity
    }

    public var fingerprint: String { AlertBook.fingerprint(rule: rule, subject: subject) }
}

/// The monitor's alerts as a pure state machine: the caller evaluates it with what it measured
/// and a time (Redis's clock, so every gateway judges durations alike) and writes the changes
/// it returns. Nothing here sleeps or reads a clock.
///
/// Per fingerprint (`rule:subject`):
/// - at or above `raise`: pending from that moment; raised once it has held for `for`;
/// - between the thresholds: a pending one is dropped (the condition did not hold); a raised
///   one stays raised;
/// - at or below `clear`, or not observed while its rule was measured (the subject is gone:
///   a symbol no longer tracked): dropped or resolved;
/// - its rule not measured this time (the inputs could not be read): left as it was, so an
///   outage of what the monitor reads never resolves what it cannot see.
public struct AlertBook: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case raise(AlertObservation, severity: AlertSeverity, since: Int64)
        case resolve(fingerprint: String, rule: String, subject: String)
    }

    struct Entry: Sendable, Equatable {
        var rule: String
        var subject: String
        var since: Int64
        var firing: Bool
    }

    public let rules: [String: AlertRule]
    private(set) var entries: [String: Entry] = [:]

    public init(rules: [AlertRule]) {
        self.rules = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public static func fingerprint(rule: String, subject: String) -> String { rule + ":" + subject }

    /// The fingerprints raised and not yet resolved.
    public var firing: Set<String> { Set(entries.filter(\.value.firing).keys) }

    /// Starts over from the unresolved alerts of record (a monitor taking over): they are raised,
    /// and nothing is pending.
    public mutating func restore(firing: [(rule: String, subject: String, since: Int64)]) {
        entries = [:]
        for alert in firing {
            entries[Self.fingerprint(rule: alert.rule, subject: alert.subject)] = Entry(rule: alert.rule, subject: alert.subject, since: alert.since, firing: true)
        }
    }

    /// One evaluation at `now`: `observations` for the rules in `measured`.
    /// - Returns: what to raise and resolve, raises before resolutions, each in fingerprint order.
    public mutating func evaluate(at now: Int64, observations: [AlertObservation], measured: Set<String>) -> [Change] {
        var raises: [Change] = []
        var resolves: [Change] = []
        var seen = Set<String>()
        for observation in observations.sorted(by: { $0.fingerprint < $1.fingerprint }) where measured.contains(observation.rule) {
            guard let rule = rules[observation.rule] else { continue }
            let fingerprint = observation.fingerprint
            guard seen.insert(fingerprint).inserted else { continue }
            let entry = entries[fingerprint]
            if observation.value >= rule.raise {
                var current = entry ?? Entry(rule: rule.name, subject: observation.subject, since: now, firing: false)
                if !current.firing, now - current.since >= rule.forMillis {
                    current.firing = true
                    raises.append(.raise(observation, severity: observation.severity ?? rule.severity, since: current.since))
                }
                entries[fingerprint] = current
            } else if observation.value <= rule.clear {
                if let entry {
                    entries[fingerprint] = nil
                    if entry.firing { resolves.append(.resolve(fingerprint: fingerprint, rule: entry.rule, subject: entry.subject)) }
                }
            } else if let entry, !entry.firing {
                entries[fingerprint] = nil
            }
        }
        for (fingerprint, entry) in entries.sorted(by: { $0.key < $1.key })
        where measured.contains(entry.rule) && !seen.contains(fingerprint) {
            entries[fingerprint] = nil
            if entry.firing { resolves.append(.resolve(fingerprint: fingerprint, rule: entry.rule, subject: entry.subject)) }
        }
        return raises + resolves
    }
}

/// Increases of counters that only grow while their process lives (a heartbeat's
/// `binance_429`, `dead_letters`), summed over a sliding window: the pure part of "how many in
/// the last five minutes". A counter lower than before means its process restarted: its
/// current value is the increase.
public struct CounterWindow: Sendable, Equatable {
    public let windowMillis: Int64
    private var last: [String: Double] = [:]
    private var increases: [(time: Int64, amount: Double)] = []

    public init(windowMillis: Int64) {
        self.windowMillis = max(1, windowMillis)
    }

    public static func == (lhs: CounterWindow, rhs: CounterWindow) -> Bool {
        lhs.windowMillis == rhs.windowMillis && lhs.last == rhs.last && lhs.increases.map(\.time) == rhs.increases.map(\.time)
            && lhs.increases.map(\.amount) == rhs.increases.map(\.amount)
    }

    /// Records the counters (by source, an instance) read at `now`; a source seen for the first
    /// time sets its baseline and adds nothing. Returns the sum of increases within the window.
    public mutating func record(_ counters: [String: Double], at now: Int64) -> Double {
        var amount = 0.0
        for (source, value) in counters {
            if let previous = last[source] { amount += value >= previous ? value - previous : value }
            last[source] = value
        }
        for source in last.keys where counters[source] == nil { last[source] = nil }
        if amount > 0 { increases.append((now, amount)) }
        increases.removeAll { $0.time <= now - windowMillis }
        return increases.reduce(0) { $0 + $1.amount }
    }
}
