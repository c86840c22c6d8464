import Analysis
import ArgumentParser
import CandleStore
import Core
import Foundation
import Logging
import Postgres
import ServiceRuntime

/// `alphapulse-inference audit [--report FILE.json]`: live equals backtest, on the stored data.
public struct AuditCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check that the stored signals equal a backtest over exactly the moments recorded in analyses.",
        discussion: """
            Reads every symbol's stored 1m candles, its stored higher-timeframe candles older than them, and the \
            derivatives history from the configured database; runs the backtest at exactly the moments recorded in \
            `analyses`, with the configuration's consensus and signal rules; and compares its signals with the `signals` \
            table: the same moments, directions and entries, and every signal resolved live resolved the same way (status, \
            exit price, time). A signal still open live may have resolved later in the backtest. Prints a JSON summary; \
            exits 1 on any difference.
            """
    )

    @OptionGroup var options: ServiceOptions

    @Option(help: ArgumentHelp("Write the summary as JSON here too.", valueName: "file"))
    var report: String?

    public init() {}

    public func run() async throws {
        let config = try options.load()
        let pool = PostgresPool(
            configuration: try PostgresConfiguration(url: config.database.url),
            options: .init(minimumConnections: 0, maximumConnections: 1, acquireTimeout: .seconds(config.database.acquireTimeoutSeconds)),
            logger: Logger(label: "alphapulse.inference"))
        let summary: SignalAudit.Summary
        do {
            let stored = try await SignalAudit.load(pool)
            await pool.close()
            summary = SignalAudit.compare(stored, config: config)
        } catch {
            await pool.close()
            throw error
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(summary)
        print(String(decoding: json, as: UTF8.self))
        if let report, !FileManager.default.createFile(atPath: report, contents: json) {
            throw ValidationError("cannot write \(report)")
        }
        if !summary.problems.isEmpty { throw ExitCode(1) }
    }
}

/// Live equals backtest over what the database holds: the pieces of ``AuditCommand``.
public enum SignalAudit {
    /// One stored signal, as the comparison sees it.
    public struct Stored: Hashable, Sendable {
        public var market: Market
        public var symbol: String
        /// The close of its moment's 1m candle (the backtest's `createdAt`).
        public var createdAt: Int64
        public var direction: String
        public var entry: Double
        public var status: String
        public var exitPrice: Double?
        public var resolvedAt: Int64?
    }

    /// What the database holds.
    public struct Data: Sendable {
        public var oneMinute: [Candle] = []
        /// Stored higher-timeframe candles of buckets beginning before the symbol's 1m history.
        public var history: [Candle] = []
        /// Every stored higher-timeframe candle, as the live windows read them.
        public var higher: [Candle] = []
        public var moments: [SignalBook.Key: Set<Int64>] = [:]
        /// The inputs' identity each analysis recorded (`analyses.inputs`), by symbol and moment.
        public var inputs: [SignalBook.Key: [Int64: [String: Int64]]] = [:]
        public var derivatives: [String: DerivativesHistory] = [:]
        public var signals: [Stored] = []
    }

    public struct Summary: Codable, Sendable {
        public var symbols = 0
        public var moments = 0
        /// Analyses whose recorded candle windows differ from what is stored for their moment
        /// now: they ran before a gap in their window was repaired.
        public var inputsChangedSince = 0
        /// Signals not compared: those of a symbol from its first such analysis on, whose
        /// decisions the changed inputs may have altered.
        public var signalsNotComparable = 0
        public var changedExamples: [String] = []
        public var liveSignals = 0
        public var backtestSignals = 0
        public var liveResolved = 0
        public var problems: [String] = []
    }

    /// Reads the analysed symbols' candles, moments and signals in one snapshot (REPEATABLE
    /// READ: the services may go on writing meanwhile, every signal read has its analysis read),
    /// then the futures symbols' derivatives history.
    public static func load(_ pool: PostgresPool) async throws -> Data {
        var data = try await pool.transaction { connection in
            _ = try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return try await snapshot(connection)
        }
        let futures = data.moments.keys.filter { $0.market == .futures }.map(\.symbol)
        if let first = data.oneMinute.map(\.openTime).min(), let last = data.oneMinute.map(\.closeTime).max(), !futures.isEmpty {
            // Funding samples reach back their window's span before the first candle.
            data.derivatives = try await DerivativesStore(postgres: pool).histories(symbols: futures.sorted(), from: first - 5 * 86_400_000, to: last)
        }
        return data
    }

    static func snapshot(_ connection: PostgresConnection) async throws -> Data {
        var data = Data()
        for row in try await connection.query("""
            SELECT market, symbol, (extract(epoch FROM candle_time) * 1000)::bigint, coalesce(inputs::text, '{}') FROM analyses
            """) {
            guard let market = Market(rawValue: try row.decode(0, as: String.self)) else { continue }
            let key = SignalBook.Key(market: market, symbol: try row.decode(1, as: String.self))
            let moment = try row.decode(2, as: Int64.self)
            data.moments[key, default: []].insert(moment)
            data.inputs[key, default: [:]][moment] = (try? JSONDecoder().decode([String: Int64].self, from: Foundation.Data(try row.decode(3, as: String.self).utf8))) ?? [:]
        }
        for key in data.moments.keys.sorted() {
            let rows = try await connection.query("""
                SELECT interval, (extract(epoch FROM open_time) * 1000)::bigint, (extract(epoch FROM close_time) * 1000)::bigint,
                       open::float8, high::float8, low::float8, close::float8, volume::float8, quote_volume::float8, trades,
                       taker_buy_volume::float8, taker_buy_quote_volume::float8
                FROM candles WHERE market = \(key.market.rawValue) AND symbol = \(key.symbol) ORDER BY interval, open_time
                """)
            var oneMinute: [Candle] = []
            var higher: [Candle] = []
            for row in rows {
                guard let interval = CandleInterval(rawValue: try row.decode(0, as: String.self)) else { continue }
                let candle = Candle(
                    market: key.market, symbol: key.symbol, interval: interval, openTime: try row.decode(1), closeTime: try row.decode(2),
                    open: try row.decode(3), high: try row.decode(4), low: try row.decode(5), close: try row.decode(6),
                    volume: try row.decode(7), quoteVolume: try row.decode(8), trades: try row.decode(9),
                    takerBuyVolume: try row.decode(10), takerBuyQuoteVolume: try row.decode(11))
                if interval == .oneMinute { oneMinute.append(candle) } else { higher.append(candle) }
            }
            // The live windows read stored higher candles: those the 1m history also builds are
            // built by the backtest itself; those of buckets beginning before it are handed to it.
            let first = oneMinute.first?.openTime ?? .max
            data.oneMinute += oneMinute
            data.higher += higher
            data.history += higher.filter { $0.openTime < first }
        }
        for row in try await connection.query("""
            SELECT market, symbol, (extract(epoch FROM candle_time) * 1000)::bigint + 59999, direction, entry::float8, status,
                   exit_price::float8, (extract(epoch FROM resolved_at) * 1000)::bigint
            FROM signals
            """) {
            guard let market = Market(rawValue: try row.decode(0, as: String.self)) else { continue }
            data.signals.append(Stored(
                market: market, symbol: try row.decode(1), createdAt: try row.decode(2), direction: try row.decode(3), entry: try row.decode(4),
                status: try row.decode(5), exitPrice: try row.decode(6, as: Double?.self), resolvedAt: try row.decode(7, as: Int64?.self)))
        }
        return data
    }

    /// Runs the backtest at the recorded moments and compares its signals with the stored ones.
    public static func compare(_ data: Data, config: AlphaPulseConfig) -> Summary {
        var summary = Summary()
        summary.symbols = data.moments.count
        summary.moments = data.moments.values.reduce(0) { $0 + $1.count }
        summary.liveSignals = data.signals.count
        summary.liveResolved = data.signals.filter { $0.status != "open" }.count
        // Each symbol's candles, grouped once (in their stored order).
        let oneMinuteByKey = Dictionary(grouping: data.oneMinute) { SignalBook.Key(market: $0.market, symbol: $0.symbol) }
        let higherByKey = Dictionary(grouping: data.higher) { SignalBook.Key(market: $0.market, symbol: $0.symbol) }
        let historyByKey = Dictionary(grouping: data.history) { SignalBook.Key(market: $0.market, symbol: $0.symbol) }
        // Analyses whose inputs changed after they ran: the backtest cannot see what they saw, so
        // their symbols' signals from then on are reported, not compared.
        var changedFrom: [SignalBook.Key: Int64] = [:]
        for (key, moments) in data.inputs {
            let windows = StoredWindows(oneMinute: oneMinuteByKey[key] ?? [], higher: higherByKey[key] ?? [])
            for (moment, recorded) in moments.sorted(by: { $0.key < $1.key }) {
                // Derivatives are reproduced as recorded (`derivativesKnown`); candle windows
                // cannot be, once a gap in them was repaired.
                let now = windows.identity(moment: moment)
                let differing = recorded.keys.filter { DerivativeSeries(rawValue: $0) == nil && now[$0] != recorded[$0] }.sorted()
                guard !differing.isEmpty else { continue }
                summary.inputsChangedSince += 1
                if changedFrom[key] == nil { changedFrom[key] = moment + 59_999 }
                if summary.changedExamples.count < 5 {
                    summary.changedExamples.append("\(key.market.rawValue):\(key.symbol) at \(moment): "
                        + differing.map { "\($0) \(recorded[$0].map(String.init) ?? "-") then, \(now[$0].map(String.init) ?? "-") now" }.joined(separator: ", "))
                }
            }
        }
        func comparable(_ signal: Stored) -> Bool {
            guard let from = changedFrom[SignalBook.Key(market: signal.market, symbol: signal.symbol)] else { return true }
            return signal.createdAt < from
        }
        let stopATR = StopATR(config.signals)
        // Live analyses whatever history a symbol has (its heads abstain for want of data).
        var options = BacktestOptions(minimumHistory: 1)
        var opened: [Stored] = []
        var resolvedByKey: [Stored: ResolvedSignal] = [:]
        // One symbol at a time: its moments are not another's.
        for (key, moments) in data.moments.sorted(by: { $0.key < $1.key }) {
            options.moments = moments
            // The derivatives samples each analysis saw, as it recorded them.
            var known: [Int64: [DerivativeSeries: Int64]] = [:]
            for (moment, recorded) in data.inputs[key] ?? [:] {
                var series: [DerivativeSeries: Int64] = [:]
                for (name, time) in recorded { if let kind = DerivativeSeries(rawValue: name) { series[kind] = time } }
                known[moment] = series
            }
            options.derivativesKnown = known
            let backtester = Backtester(
                heads: Heads.all(), consensus: ConsensusRules(config.signals), signals: SignalRules(config.signals), options: options,
                atr: { stopATR($0) })
            let result = backtester.run(oneMinuteByKey[key] ?? [], history: historyByKey[key] ?? [], derivatives: data.derivatives)
            for resolved in result.results {
                let stored = identity(resolved.signal)
                opened.append(stored)
                resolvedByKey[stored] = resolved
            }
            opened += result.openSignals.map(identity)
        }
        summary.backtestSignals = opened.count
        summary.signalsNotComparable = data.signals.filter { !comparable($0) }.count
        let live = Set(data.signals.filter(comparable).map(identity))
        let backtest = Set(opened.filter(comparable))
        let onlyLive = live.subtracting(backtest).sorted { $0.createdAt < $1.createdAt }
        let onlyBacktest = backtest.subtracting(live).sorted { $0.createdAt < $1.createdAt }
        if !onlyLive.isEmpty {
            summary.problems.append("\(onlyLive.count) signals live but not in the backtest, e.g. \(onlyLive.prefix(3).map(describe))")
        }
        if !onlyBacktest.isEmpty {
            summary.problems.append("\(onlyBacktest.count) signals in the backtest but not live, e.g. \(onlyBacktest.prefix(3).map(describe))")
        }
        var differing: [String] = []
        for signal in data.signals where signal.status != "open" && comparable(signal) {
            guard let outcome = resolvedByKey[identity(signal)]?.outcome else {
                differing.append("\(describe(signal)) resolved \(signal.status) live, still open in the backtest")
                continue
            }
            // Exit prices are stored as numeric with 15 significant digits.
            let exitMatches = signal.exitPrice.map { abs($0 - outcome.exitPrice) <= 1e-12 * max(1, abs(outcome.exitPrice)) } ?? false
            if outcome.status.rawValue != signal.status || !exitMatches || outcome.resolvedAt != signal.resolvedAt {
                differing.append("\(describe(signal)) \(signal.status) at \(signal.exitPrice ?? .nan) live, "
                    + "\(outcome.status.rawValue) at \(outcome.exitPrice) in the backtest")
            }
        }
        if !differing.isEmpty {
            summary.problems.append("\(differing.count) outcomes differ, e.g. \(differing.prefix(3))")
        }
        return summary
    }

    /// The identity of the candle windows an analysis at `moment` reads from the stored data
    /// now, as `InferenceService` records it (see ``StoredWindows``).
    static func identity(moment: Int64, oneMinute: [Candle], higher: [Candle]) -> [String: Int64] {
        StoredWindows(oneMinute: oneMinute, higher: higher).identity(moment: moment)
    }

    /// One symbol's stored candles, sorted by open time per interval, so that the windows of
    /// any moment are found by binary search: an audit of every moment of a month costs
    /// moments × log(candles), not moments × candles.
    struct StoredWindows {
        let oneMinute: [Candle]
        let higher: [CandleInterval: [Candle]]

        init(oneMinute: [Candle], higher: [Candle]) {
            self.oneMinute = oneMinute.sorted { $0.openTime < $1.openTime }
            self.higher = Dictionary(grouping: higher, by: \.interval).mapValues { $0.sorted { $0.openTime < $1.openTime } }
        }

        /// The newest open time, the oldest (`_from`) and the count of the 1m window and of each
        /// higher timeframe's complete candles: the candles opening before the moment's minute
        /// ends (1m) or before the bucket that minute ends in (higher), the newest of them up to
        /// the window's length.
        func identity(moment: Int64) -> [String: Int64] {
            let windows = AnalysisWindows.standard
            let end = moment + 60_000
            var identity: [String: Int64] = [:]
            let minutes = Self.window(oneMinute, before: end, length: windows.oneMinute)
            if let last = minutes.last, let first = minutes.first {
                identity["1m"] = last.openTime
                identity["1m_from"] = first.openTime
            }
            identity["1m_count"] = Int64(minutes.count)
            for interval in windows.higherIntervals {
                let list = Self.window(higher[interval] ?? [], before: interval.bucketStart(end), length: windows.higher)
                if let last = list.last, let first = list.first {
                    identity[interval.rawValue] = last.openTime
                    identity[interval.rawValue + "_from"] = first.openTime
                }
                identity[interval.rawValue + "_count"] = Int64(list.count)
            }
            return identity
        }

        /// The last `length` of `sorted` opening before `time`.
        static func window(_ sorted: [Candle], before time: Int64, length: Int) -> ArraySlice<Candle> {
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle].openTime < time { low = middle + 1 } else { high = middle }
            }
            return sorted[max(0, low - length)..<low]
        }
    }

    /// A signal's identity: where, when, which way and at what entry (outcome fields cleared).
    static func identity(_ signal: Signal) -> Stored {
        Stored(market: signal.market, symbol: signal.symbol, createdAt: signal.createdAt, direction: signal.direction.rawValue,
               entry: signal.entry, status: "", exitPrice: nil, resolvedAt: nil)
    }

    static func identity(_ stored: Stored) -> Stored {
        Stored(market: stored.market, symbol: stored.symbol, createdAt: stored.createdAt, direction: stored.direction,
               entry: stored.entry, status: "", exitPrice: nil, resolvedAt: nil)
    }

    static func describe(_ signal: Stored) -> String {
        "\(signal.market.rawValue):\(signal.symbol) \(signal.direction) at \(signal.createdAt) entry \(signal.entry)"
    }
}
