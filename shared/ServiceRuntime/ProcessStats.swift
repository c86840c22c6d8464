import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process's CPU time and resident memory, read from /proc (Linux).
public struct ProcessStats: Sendable, Equatable {
    /// User + system CPU time, seconds.
    public var cpuSeconds: Double
    /// Resident set size, bytes.
    public var residentBytes: Int

    /// This process now; nil where /proc is not readable.
    public static func current() -> ProcessStats? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        else { return nil }
        return parse(stat: stat, statm: statm, ticksPerSecond: Int(sysconf(Int32(_SC_CLK_TCK))), pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// Parses `/proc/PID/stat` (utime and stime are fields 14 and 15, after the parenthesised
    /// command name, which may itself hold spaces and parentheses) and `/proc/PID/statm`
    /// (resident pages second).
    static func parse(stat: String, statm: String, ticksPerSecond: Int, pageSize: Int) -> ProcessStats? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        // After ")": field 3 (state) onwards.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let memory = statm.split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), memory.count > 1,
              let resident = Int(memory[1].trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        return ProcessStats(cpuSeconds: (user + system) / Double(ticksPerSecond), residentBytes: resident * pageSize)
    }
}
