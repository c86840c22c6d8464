import ArgumentParser
import Foundation
import Postgres
import Redis
import Schema

/// Measures the two data-path figures the foundation promises: PostgreSQL bulk upsert of
/// candle rows and Redis pipelined XADD. Prints the median of several runs.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphapulse-bench",
        abstract: "Benchmark PostgreSQL bulk upsert (rows/s) and Redis pipelined XADD (entries/s)."
    )

    @Option(help: "PostgreSQL URL of a server the benchmark may create a schema in.")
    var databaseURL: String

    @Option(help: "Redis URL of a server the benchmark may write keys to.")
    var redisURL: String

    @Option(help: "Candle rows per upsert batch.")
    var batch = 10_000

    @Option(help: "Batches per run.")
    var batches = 10

    @Option(help: "XADD entries per pipeline.")
    var pipeline = 1_000

    @Option(help: "XADD entries per run.")
    var entries = 200_000

    @Option(help: "Runs per figure; the median is reported.")
    var runs = 5

    func run() async throws {
        let pg = try await postgres()
        let redis = try await self.redis()
        print(String(format: "postgres bulk upsert: median %.0f rows/s (new rows), %.0f rows/s (same rows again, no change); %d × %d rows per run, %d runs",
                     pg.fresh, pg.repeated, batches, batch, runs))
        print(String(format: "redis pipelined XADD MAXLEN ~: median %.0f entries/s; %d entries per run in pipelines of %d, %d runs",
                     redis, entries, pipeline, runs))
    }

    func postgres() async throws -> (fresh: Double, repeated: Double) {
        var configuration = try PostgresConfiguration(url: databaseURL)
        let schema = "bench_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try await PostgresConnection.connect(configuration)
        try await admin.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(PostgresQuery.quoteIdentifier(schema))"))
        configuration.searchPath = [schema]
        let pool = PostgresPool(configuration: configuration, options: .init(minimumConnections: 1, maximumConnections: 2))
        func cleanUp() async {
            await pool.close()
            _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP SCHEMA \(PostgresQuery.quoteIdentifier(schema)) CASCADE"))
            await admin.close()
        }
        do {
            let result = try await measurePostgres(pool)
            await cleanUp()
            return result
        } catch {
            await cleanUp()
            throw error
        }
    }

    func measurePostgres(_ pool: PostgresPool) async throws -> (fresh: Double, repeated: Double) {
        try await Schema.migrator().migrate(pool)
        let spec = BulkUpsert(
            table: "candles",
            columns: ["market", "symbol", "interval", "open_time", "close_time", "open", "high", "low", "close",
                      "volume", "quote_volume", "trades", "taker_buy_volume", "taker_buy_quote_volume", "source"],
            conflictColumns: ["market", "symbol", "interval", "open_time"]
        )
        var fresh: [Double] = []
        var repeated: [Double] = []
        for run in 0..<runs {
            let buffers = (0..<batches).map { makeCandles(run: run, batch: $0) }
            let clock = ContinuousClock()
            let first = try await clock.measure {
                for buffer in buffers { try await pool.bulkUpsert(spec, rows: buffer) }
            }
            let second = try await clock.measure {
                for buffer in buffers { try await pool.bulkUpsert(spec, rows: buffer) }
            }
            fresh.append(Double(batch * batches) / first.seconds)
            repeated.append(Double(batch * batches) / second.seconds)
        }
        return (median(fresh), median(repeated))
    }

    /// Candle-sized rows: 15 columns with Binance-like values, a distinct minute each.
    func makeCandles(run: Int, batch batchIndex: Int) -> CopyBuffer {
        var buffer = CopyBuffer(columns: 15, reservingBytes: batch * 200)
        let base = Date(timeIntervalSince1970: 1_767_225_600)
        for index in 0..<batch {
            let minute = (run * batches + batchIndex) * batch + index
            let open = 100 + Double(minute % 977) * 0.01
            buffer.append("futures")
            buffer.append("SYM\(minute % 50)USDT")
            buffer.append("1m")
            buffer.append(base.addingTimeInterval(Double(minute / 50) * 60))
            buffer.append(base.addingTimeInterval(Double(minute / 50) * 60 + 59.999))
            buffer.append(open)
            buffer.append(open + 0.37)
            buffer.append(open - 0.21)
            buffer.append(open + 0.05)
            buffer.append(1234.567)
            buffer.append(123_456.78)
            buffer.append(Int64(321))
            buffer.append(600.25)
            buffer.append(60_000.5)
            buffer.append("backfill")
            buffer.endRow()
        }
        return buffer
    }

    func redis() async throws -> Double {
        let client = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        let key = "bench:candles:\(UInt32.random(in: 0...UInt32.max))"
        var rates: [Double] = []
        let fields: [RedisArgument] = ["m", "futures", "s", "BTCUSDT", "t", "1767225600000", "o", "87000.1", "h", "87010.5",
                                       "l", "86990.2", "c", "87005.3", "v", "12.345", "q", "1074000.12", "n", "321", "V", "6.1", "Q", "530000.5"]
        for _ in 0..<runs {
            let commands: [[RedisArgument]] = (0..<pipeline).map { _ in ["XADD", RedisArgument(key), "MAXLEN", "~", "100000", "*"] + fields }
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                for _ in 0..<(entries / pipeline) { _ = try await client.pipeline(commands: commands) }
            }
            rates.append(Double(entries / pipeline * pipeline) / elapsed.seconds)
        }
        _ = try await client.delete(key)
        await client.close()
        return median(rates)
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
