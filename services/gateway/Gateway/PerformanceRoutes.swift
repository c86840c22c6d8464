import Foundation
import Hummingbird
import Postgres

/// `GET /api/v1/performance`: how the live signals performed over a time range, overall and per
/// head, symbol, market, direction and set of agreeing heads, with the operational report
/// (throughput, latency, uptime) beside it.
///
/// The figures follow the backtest's definitions (`BacktestReport.Figures`), so live and
/// backtest read alike: only resolved signals enter rates and R; win rate = won / resolved
/// (expired counts as not won); mean R = total R / resolved, which is the expectancy per
/// signal in R; max drawdown is the largest peak-to-trough fall of cumulative R with signals
/// in order of resolution, starting at 0. Added here: profit factor (sum of winning R over the
/// size of the sum of losing R; null without a losing R) and the median time from a signal's
/// moment to its outcome.
struct PerformanceRoutes: Sendable {
    let postgres: PostgresPool
    let health: SuiteHealth

    func register(on router: Router<BasicRequestContext>) {
        router.get("api/v1/performance") { request, _ in try await performance(request) }
    }

    /// One signal as the figures need it.
    struct Outcome: Sendable {
        var market: String
        var symbol: String
        var direction: String
        var heads: [String]
        var status: String
        var r: Double?
        var moment: Int64
        var resolvedAt: Int64?
    }

    struct Figures: Encodable, Equatable {
        var signals: Int
        var open: Int
        var resolved: Int
        var won: Int
        var lost: Int
        var expired: Int
        var winRate: Double
        var meanR: Double
        var expectancyR: Double
        var totalR: Double
        @OrNull var profitFactor: Double?
        var maxDrawdownR: Double
        @OrNull var medianMinutesToOutcome: Double?

        static func == (lhs: Figures, rhs: Figures) -> Bool {
            (lhs.signals, lhs.open, lhs.won, lhs.lost, lhs.expired) == (rhs.signals, rhs.open, rhs.won, rhs.lost, rhs.expired)
                && lhs.totalR == rhs.totalR && lhs.maxDrawdownR == rhs.maxDrawdownR && lhs.profitFactor == rhs.profitFactor
        }

        /// Figures of `signals`, which must be in order of resolution (open ones anywhere).
        init(_ signals: [Outcome]) {
            var won = 0, lost = 0, expired = 0, open = 0
            var total = 0.0, peak = 0.0, drawdown = 0.0, gains = 0.0, losses = 0.0
            var minutes: [Double] = []
            for signal in signals {
                switch signal.status {
                case "won": won += 1
                case "lost": lost += 1
                case "expired": expired += 1
                default:
                    open += 1
                    continue
                }
                let r = signal.r ?? 0
                total += r
                if r > 0 { gains += r } else { losses -= r }
                peak = max(peak, total)
                drawdown = max(drawdown, peak - total)
                if let resolved = signal.resolvedAt { minutes.append(Double(resolved - signal.moment) / 60_000) }
            }
            let resolved = won + lost + expired
            self.signals = signals.count
            self.open = open
            self.resolved = resolved
            self.won = won
            self.lost = lost
            self.expired = expired
            winRate = resolved == 0 ? 0 : Double(won) / Double(resolved)
            meanR = resolved == 0 ? 0 : total / Double(resolved)
            expectancyR = meanR
            totalR = total
            profitFactor = losses > 0 ? gains / losses : nil
            maxDrawdownR = drawdown
            minutes.sort()
            medianMinutesToOutcome = minutes.isEmpty ? nil
                : minutes.count % 2 == 1 ? minutes[minutes.count / 2] : (minutes[minutes.count / 2 - 1] + minutes[minutes.count / 2]) / 2
        }
    }

    struct Group: Encodable {
        var key: String
        var figures: Figures
    }

    struct Percentiles: Encodable {
        @OrNull var p50: Double?
        @OrNull var p99: Double?
    }

    struct ServiceUptime: Encodable {
        var service: String
        var instances: Int
        /// Seconds since the longest-running live instance started.
        var uptimeSeconds: Int64
    }

    struct Operations: Encodable {
        var analyses: Int
        var analysesPerHour: Double
        var signalsPerDay: Double
        var queueWaitMs: Percentiles
        var computeMs: Percentiles
        var services: [ServiceUptime]
    }

    struct Report: Encodable {
        var from: Int64
        var to: Int64
        var figures: Figures
        /// Per head: the signals it agreed to.
        var byHead: [Group]
        var bySymbol: [Group]
        var byMarket: [Group]
        var byDirection: [Group]
        /// Per set of agreeing heads, `+`-joined.
        var byAgreeingHeads: [Group]
        var operations: Operations
    }

    static let maxSignals = 200_000

    func performance(_ request: Request) async throws -> Response {
        let parameters = try Parameters(request)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let to = Int64(try parameters.integer("to", default: Int(now), in: 0...Parameters.maxMillis))
        let from = Int64(try parameters.integer("from", default: Int(max(0, to - 30 * 86_400_000)), in: 0...Parameters.maxMillis))
        let market = try parameters.market("market")
        let symbol = try parameters.string("symbol").map(Parameters.symbol)
        let rows = try await postgres.query("""
            SELECT market, symbol, direction, agreeing_heads, status, outcome_r, (extract(epoch FROM candle_time) * 1000)::bigint,
                   (extract(epoch FROM resolved_at) * 1000)::bigint
            FROM signals
            WHERE candle_time >= timestamptz 'epoch' + \(from) * interval '1 millisecond'
              AND candle_time < timestamptz 'epoch' + \(to) * interval '1 millisecond'
              AND (\(market?.rawValue)::text IS NULL OR market = \(market?.rawValue))
              AND (\(symbol)::text IS NULL OR symbol = \(symbol))
            ORDER BY resolved_at NULLS LAST, id
            LIMIT \(Int64(Self.maxSignals + 1))
            """)
        guard rows.count <= Self.maxSignals else {
            throw Problem.badParameter("from", "more than \(Self.maxSignals) signals in [from, to): narrow the range")
        }
        let signals = try rows.map { row in
            Outcome(
                market: try row.decode(0), symbol: try row.decode(1), direction: try row.decode(2), heads: try row.decode(3),
                status: try row.decode(4), r: try row.decode(5, as: Double?.self), moment: try row.decode(6),
                resolvedAt: try row.decode(7, as: Int64?.self))
        }
        func groups(_ keys: (Outcome) -> [String]) -> [Group] {
            var members: [String: [Outcome]] = [:]
            for signal in signals { for key in keys(signal) { members[key, default: []].append(signal) } }
            return members.keys.sorted().map { Group(key: $0, figures: Figures(members[$0] ?? [])) }
        }
        let report = Report(
            from: from, to: to, figures: Figures(signals),
            byHead: groups { $0.heads }, bySymbol: groups { ["\($0.market):\($0.symbol)"] }, byMarket: groups { [$0.market] },
            byDirection: groups { [$0.direction] }, byAgreeingHeads: groups { [$0.heads.sorted().joined(separator: "+")] },
            operations: try await operations(from: from, to: to, market: market?.rawValue, symbol: symbol, signals: signals.count))
        return try JSONResponse.make(report)
    }

    func operations(from: Int64, to: Int64, market: String?, symbol: String?, signals: Int) async throws -> Operations {
        let row = try await postgres.query("""
            SELECT count(*)::bigint,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY queue_wait_ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY queue_wait_ms),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY compute_ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY compute_ms)
            FROM analyses
            WHERE candle_time >= timestamptz 'epoch' + \(from) * interval '1 millisecond'
              AND candle_time < timestamptz 'epoch' + \(to) * interval '1 millisecond'
              AND (\(market)::text IS NULL OR market = \(market))
              AND (\(symbol)::text IS NULL OR symbol = \(symbol))
            """).first
        let analyses = try row?.decode(0, as: Int.self) ?? 0
        let hours = Double(max(1, to - from)) / 3_600_000
        var services: [String: (instances: Int, uptime: Int64)] = [:]
        let now = Date()
        let parser = ISO8601DateFormatter()
        for instance in try await health.instances() {
            let started = instance.fields["started_at"].flatMap { parser.date(from: $0) }
            let uptime = started.map { Int64(now.timeIntervalSince($0)) } ?? 0
            let current = services[instance.service] ?? (0, 0)
            services[instance.service] = (current.instances + 1, max(current.uptime, uptime))
        }
        return Operations(
            analyses: analyses, analysesPerHour: Double(analyses) / hours, signalsPerDay: Double(signals) / (hours / 24),
            queueWaitMs: Percentiles(p50: try row?.decode(1, as: Double?.self), p99: try row?.decode(2, as: Double?.self)),
            computeMs: Percentiles(p50: try row?.decode(3, as: Double?.self), p99: try row?.decode(4, as: Double?.self)),
            services: services.keys.sorted().map { ServiceUptime(service: $0, instances: services[$0]?.instances ?? 0, uptimeSeconds: services[$0]?.uptime ?? 0) })
    }
}
