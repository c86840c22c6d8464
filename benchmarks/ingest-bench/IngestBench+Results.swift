import BenchSupport
import Foundation

extension IngestBench {
    func summary(_ levels: [(rate: Double, result: RunResult)]) -> String {
        var lines = [
            "",
            "alphapulse-ingest end to end: \(symbols) futures symbols (\(symbols * 2) streams), "
                + (cpu >= 0 ? "ingest pinned to CPU \(cpu)" : "ingest unpinned")
                + ", \(updatesPerMinute) kline updates a minute, medians of \(runs) run(s) of \(Int(seconds)) s per load",
            "  offered/s  taken/s  CPU µs/frame  core  closed/s  persisted/s  kept up  RSS MiB  kline→PostgreSQL p50 / p99 ms",
        ]
        for (rate, result) in levels {
            let offered = rate > 0 ? String(format: "%.0f", rate) : "all"
            lines.append(String(repeating: " ", count: max(0, 11 - offered.count)) + offered + String(
                format: "  %7.0f  %12.2f  %3.0f%%  %8.0f  %11.0f  %7@  %7.1f  %6.0f / %.0f", result.framesPerSecond,
                result.cpuMicrosPerFrame, result.cpuShare * 100, result.closedPerSecond, result.persistedPerSecond,
                result.keptUp ? "    yes" : "     no", result.residentMiB, result.latencyP50, result.latencyP99))
        }
        if let first = levels.first?.result {
            lines.append(String(
                format: "  simulated time: %.0f minutes measured per run (median), %.0f hour closes among them, p99 of the hour closes %.0f ms",
                first.simulatedMinutes, first.hourBoundaries, first.hourCloseP99))
        }
        // The highest offered load kept up with (its nominal rate; an unpaced run counts with what it took).
        let sustained = levels.filter { $0.result.keptUp }.map { $0.rate > 0 ? $0.rate : $0.result.framesPerSecond }.max()
        lines.append(sustained.map {
            String(format: "  sustained end to end: %.0f frames/s (target 100,000)", $0)
        } ?? "  sustained end to end: none of the offered loads was kept up with (target 100,000)")
        lines.append("  kept up: during the window the ingest took ≥ 97 % of the offered frames and persisted ≥ 95 % as many closed "
            + "klines as were sent (give or take one persister batch); every run also found each closed kline in PostgreSQL "
            + "exactly once after the load stopped.")
        lines.append("  latency: send time of the closed kline to "
            + (levels.first?.result.commitTimes == true
                ? "the commit of its row (PostgreSQL commit timestamps)."
                : "its transaction's start (track_commit_timestamp is off): an underestimate."))
        return lines.joined(separator: "\n")
    }

    struct RunResult {
        var offeredPerSecond: Double
        var framesPerSecond: Double
        var cpuMicrosPerFrame: Double
        var cpuShare: Double
        var closedPerSecond: Double
        var persistedPerSecond: Double
        var residentMiB: Double
        var peakMiB: Double
        var latencyP50: Double
        var latencyP99: Double
        var closedSent: Int
        var drainSeconds: Double
        var commitTimes: Bool
        /// The paced rate asked of the firehose (nil: as fast as the sockets take frames).
        var nominalRate: Double?
        var startupSeconds: Double
        /// One persister batch spread over the window, in candles/s: the persisted count moves
        /// a batch at a time, so a short window may end just before one commits.
        var batchPerSecond: Double
        /// Distinct minutes whose closes were measured, the hour closes among them, and the p99
        /// latency of those hour closes alone (NaN when the window held none).
        var simulatedMinutes: Double
        var hourBoundaries: Double
        var hourCloseP99: Double

        /// The ingest took (nearly) all of a paced load — a saturated socket makes the firehose
        /// send less than asked — and persisted closed klines as fast as they came.
        var keptUp: Bool {
            framesPerSecond >= 0.97 * (nominalRate ?? offeredPerSecond)
                && persistedPerSecond + batchPerSecond >= 0.95 * closedPerSecond
        }

        var line: String {
            String(format: "%.0f frames/s taken of %.0f sent, %.2f µs CPU/frame (%.0f%% of a core), %.0f closed klines/s sent, "
                       + "%.0f persisted/s, RSS %.1f MiB (peak %.1f), latency p50 %.0f ms p99 %.0f ms; "
                       + "all %d closed klines in PostgreSQL %.1f s after the load stopped; start-up and subscriptions took %.1f s; "
                       + "%.0f simulated minutes measured with %.0f hour closes (their p99 %.0f ms)",
                   framesPerSecond, offeredPerSecond, cpuMicrosPerFrame, cpuShare * 100, closedPerSecond, persistedPerSecond,
                   residentMiB, peakMiB, latencyP50, latencyP99, closedSent, drainSeconds, startupSeconds,
                   simulatedMinutes, hourBoundaries, hourCloseP99)
        }

        /// Field by field medians.
        static func median(_ runs: [RunResult]) -> RunResult {
            func m(_ field: KeyPath<RunResult, Double>) -> Double { BenchSupport.median(runs.map { $0[keyPath: field] }) }
            return RunResult(
                offeredPerSecond: m(\.offeredPerSecond), framesPerSecond: m(\.framesPerSecond), cpuMicrosPerFrame: m(\.cpuMicrosPerFrame),
                cpuShare: m(\.cpuShare), closedPerSecond: m(\.closedPerSecond), persistedPerSecond: m(\.persistedPerSecond),
                residentMiB: m(\.residentMiB), peakMiB: m(\.peakMiB), latencyP50: m(\.latencyP50), latencyP99: m(\.latencyP99),
                closedSent: runs.map(\.closedSent).max() ?? 0, drainSeconds: m(\.drainSeconds), commitTimes: runs.allSatisfy(\.commitTimes),
                nominalRate: runs.first?.nominalRate, startupSeconds: m(\.startupSeconds), batchPerSecond: m(\.batchPerSecond),
                simulatedMinutes: m(\.simulatedMinutes), hourBoundaries: m(\.hourBoundaries), hourCloseP99: m(\.hourCloseP99))
        }
    }
}
