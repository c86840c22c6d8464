import CandleStore
import Foundation
import Testing
import TestSupport

/// `alphapulse-inference indicators | analyze | backtest`, run as a user runs them, on real klines.
@Suite struct InferenceCLITests {
    func executable() throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("alphapulse-inference").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is not built")
        return path
    }

    /// The first `rows` rows of a fixture month, as a CSV under its archive name in a fresh folder.
    func fixture(_ symbol: String, rows: Int) throws -> String {
        let text = try Fixtures.futuresMonth(symbol)
        let lines = text.split(separator: "\n", maxSplits: rows + 1).prefix(rows + 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("klines")).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(symbol)-1m-2026-02.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `indicators` equals TA-Lib's values (the committed reference vectors) to 1e-9, with
    /// empty cells exactly where TA-Lib has no value yet.
    @Test func indicatorsMatchTALibRow_by_row() async throws {
        let input = try fixture("LINKUSDT", rows: 2000)
        let out = input + ".indicators.csv"
        let run = try await runCommandAsync([try executable(), "indicators", "--klines", input, "--out", out])
        #expect(run.status == 0, "\(run.output)")
        let produced = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(produced.first == "open_time,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr14,obv")
        #expect(produced.count == 2001)

        let referencePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../AnalysisTests/Indicators/reference/LINKUSDT.csv").standardized.path
        let reference = try String(contentsOfFile: referencePath, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let header = reference[0].split(separator: ",").map(String.init)
        let columns = ["sma20", "ema20", "rsi14", "macd", "macd_signal", "macd_hist", "bb_upper", "bb_middle", "bb_lower", "atr14", "obv"]
        var compared = 0
        for line in reference.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let row = Int(cells[0])!
            let ours = produced[row + 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(ours[0] == cells[header.firstIndex(of: "open_time")!])
            for (offset, column) in columns.enumerated() {
                let expected = Double(cells[header.firstIndex(of: column)!])!
                let cell = ours[offset + 1]
                if expected.isNaN {
                    #expect(cell.isEmpty, "row \(row) \(column): TA-Lib has no value yet, we print \(cell)")
                } else {
                    let value = try #require(Double(cell), "row \(row) \(column): empty where TA-Lib has \(expected)")
                    #expect(abs(value - expected) <= 1e-9 * max(abs(expected), 1e-12), "row \(row) \(column): \(value) vs \(expected)")
                    compared += 1
                }
            }
        }
        #expect(compared > 3000)
    }

    @Test func analyzePrintsEveryHeadsVoteAndTheConsensus() async throws {
        let input = try fixture("NEARUSDT", rows: 4000)
        let run = try await runCommandAsync([try executable(), "analyze", "--klines", input, "--at", "2026-02-03T12:00:00Z"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("NEARUSDT futures — 1m candle open 2026-02-03T12:00:00Z"))
        for head in ["technical", "sentiment", "volume", "rule_based", "ict", "wyckoff", "harmonic", "market_structure", "crypto_metrics"] {
            #expect(run.output.contains("\n" + head + " "), "\(head) missing")
        }
        #expect(run.output.contains("consensus: "))
        // No funding or positioning data in a kline file: the sentiment head says so instead of guessing.
        let sentiment = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("sentiment ") })
        #expect(sentiment.contains("NEUTRAL") && sentiment.contains("c=0.00"))
    }

    /// Binance's zip archives are read as the CSV they hold, and a corrupt one is refused by name.
    @Test func analyzeReadsBinanceZipArchives() async throws {
        let csv = try fixture("NEARUSDT", rows: 4000)
        let zip = Fixtures.futuresArchive("NEARUSDT")
        let fromCSV = try await runCommandAsync([try executable(), "analyze", "--klines", csv, "--at", "2026-02-03T12:00:00Z"])
        let fromZip = try await runCommandAsync([try executable(), "analyze", "--klines", zip, "--at", "2026-02-03T12:00:00Z"])
        #expect(fromZip.status == 0, "\(fromZip.output)")
        #expect(fromZip.output == fromCSV.output, "the month's zip and its first 4,000 rows agree up to --at")

        let corrupt = URL(fileURLWithPath: csv).deletingLastPathComponent().appendingPathComponent("NEARUSDT-1m-2026-02.zip").path
        try "not a zip".write(toFile: corrupt, atomically: true, encoding: .utf8)
        let refused = try await runCommandAsync([try executable(), "backtest", "--klines", corrupt])
        #expect(refused.status != 0)
        #expect(refused.output.contains("NEARUSDT-1m-2026-02.zip: cannot be read (not a zip archive"), "\(refused.output)")
    }

    @Test func badInvocationsFailWithAClearMessage() async throws {
        let input = try fixture("NEARUSDT", rows: 100)
        let cases: [([String], String)] = [
            (["analyze", "--klines", "/nonexistent/NEARUSDT-1m-2026-02.csv"], "cannot be read"),
            (["analyze", "--klines", input, "--at", "yesterday"], "is not an ISO 8601 time"),
            (["analyze", "--klines", input, "--at", "2020-01-01T00:00:00Z"], "no candle at or before"),
            (["backtest", "--klines", input, "--step", "0"], "--step must be at least 1"),
        ]
        for (arguments, message) in cases {
            let run = try await runCommandAsync([try executable()] + arguments)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.output.contains(message), "\(arguments): \(run.output)")
        }
        let folder = URL(fileURLWithPath: input).deletingLastPathComponent().path
        let fiveMinutes = folder + "/NEARUSDT-5m-2026-02.csv"
        try String(contentsOfFile: input, encoding: .utf8).write(toFile: fiveMinutes, atomically: true, encoding: .utf8)
        let wrongInterval = try await runCommandAsync([try executable(), "backtest", "--klines", fiveMinutes])
        #expect(wrongInterval.status != 0 && wrongInterval.output.contains("give 1m files"))
        let broken = folder + "/NEARUSDT-1m-broken.csv"
        try "1769904000000,1,2,0.5,1.5,10\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let malformed = try await runCommandAsync([try executable(), "backtest", "--klines", broken])
        #expect(malformed.status != 0 && malformed.output.contains("line 1: 6 columns"))
    }

    /// `backtest --derivatives` reads the derivatives table the live service reads: the
    /// sentiment head votes from it, where without it the head has nothing to vote from.
    @Test func backtestReadsTheDerivativesTableWhenAsked() async throws {
        let link = try fixture("LINKUSDT", rows: 2880)
        try await TestStores.with("cli_derivatives") { stores in
            var samples: [DerivativesStore.Sample] = []
            let start: Int64 = 1_769_904_000_000
            for event in 0..<6 { samples.append(.init(symbol: "LINKUSDT", series: .funding, time: start + Int64(event) * 28_800_000, value: "0.00090000")) }
            for sample in 0..<576 {
                samples.append(.init(symbol: "LINKUSDT", series: .longShort, time: start + Int64(sample) * 300_000, value: "3.1000"))
            }
            _ = try await DerivativesStore(postgres: stores.pool).insert(samples)
            var environment = ProcessInfo.processInfo.environment
            environment["ALPHAPULSE_DATABASE_URL"] = try stores.databaseURL
            func sentimentVotes(_ extra: [String]) async throws -> Int {
                let report = link + ".derivatives\(extra.count).json"
                let run = try await runCommandAsync([
                    try executable(), "backtest", "--klines", link, "--from", "2026-02-01T12:00:00Z", "--step", "15", "--report", report,
                ] + extra, environment: environment)
                #expect(run.status == 0, "\(run.output)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
                let heads = try #require(json["heads"] as? [[String: Any]])
                return try #require(heads.first { $0["head"] as? String == "sentiment" }?["votes"] as? Int)
            }
            #expect(try await sentimentVotes([]) == 0)
            #expect(try await sentimentVotes(["--derivatives"]) > 0)
        }
    }

    @Test func backtestWritesTheSameReportTwiceWithEveryRequiredFigure() async throws {
        let link = try fixture("LINKUSDT", rows: 4320)
        let near = try fixture("NEARUSDT", rows: 4320)
        var reports: [String] = []
        for attempt in 0..<2 {
            let report = link + ".report\(attempt).json"
            let run = try await runCommandAsync([
                try executable(), "backtest", "--klines", link, near, "--from", "2026-02-02T00:00:00Z", "--to", "2026-02-03T12:00:00Z",
                "--step", "5", "--report", report,
            ])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("strategy") && run.output.contains("baseline") && run.output.contains("LINKUSDT"))
            #expect(run.output.contains("mean R vs baseline:") && run.output.contains("95% bootstrap CI"))
            reports.append(try String(contentsOfFile: report, encoding: .utf8))
        }
        #expect(reports[0] == reports[1], "same input, same report")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(reports[0].utf8)) as? [String: Any])
        for key in ["signals", "won", "lost", "expired", "win_rate", "mean_r", "total_r", "max_drawdown_r", "signals_per_day", "heads", "baseline"] {
            #expect(json[key] != nil, "report lacks \(key)")
        }
        let heads = try #require(json["heads"] as? [[String: Any]])
        #expect(heads.count == 9)
        #expect(heads.allSatisfy { $0["votes"] != nil && $0["hit_rate"] != nil })
        let baseline = try #require(json["baseline"] as? [String: Any])
        for key in ["signals", "won", "lost", "expired", "win_rate", "mean_r", "total_r", "max_drawdown_r", "signals_per_day"] {
            #expect(baseline[key] != nil, "baseline lacks \(key)")
        }
        // The edge against the baseline, with its interval, in the report and on the terminal.
        let edge = try #require(json["edge"] as? [String: Any])
        let low = try #require(edge["ci_low"] as? Double), high = try #require(edge["ci_high"] as? Double)
        #expect(low <= high && edge["mean_r_difference"] is Double && edge["verdict"] is String)
        #expect(edge["signals"] as? Int == (json["won"] as! Int) + (json["lost"] as! Int) + (json["expired"] as! Int))
        let signals = try #require(json["signals"] as? Int)
        #expect(signals == (json["won"] as! Int) + (json["lost"] as! Int) + (json["expired"] as! Int) + ((json["open"] as? Int) ?? 0))
    }
}
